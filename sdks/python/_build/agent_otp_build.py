"""A PEP 517 build backend for this package, standard library only.

It builds a pure-Python wheel (``agent_otp`` and a ``.dist-info``) and an sdist with zipfile and
tarfile, so installing needs no network and no ``setuptools``/``wheel``. Name and version come
from ``[project]`` in pyproject.toml, read with a small parser so it runs on Python 3.9 (no
``tomllib``): only ``key = "string"`` lines of that table are read.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import tarfile
import zipfile
from typing import Dict, List, Optional, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = "agent_otp"
# A fixed timestamp (1980-01-01, the zip minimum) so the same sources give the same wheel.
EPOCH = (1980, 1, 1, 0, 0, 0)


def project() -> Dict[str, str]:
    with open(os.path.join(ROOT, "pyproject.toml"), encoding="utf-8") as f:
        text = f.read()
    table = re.search(r"^\[project\]\s*$(.*?)(?=^\[|\Z)", text, re.S | re.M)
    if not table:
        raise RuntimeError("pyproject.toml has no [project] table")
    return dict(re.findall(r'^([\w-]+)\s*=\s*"([^"]*)"\s*$', table.group(1), re.M))


def _names() -> Tuple[str, str, str]:
    meta = project()
    dist = re.sub(r"[-_.]+", "_", meta["name"]).lower()
    return meta["name"], meta["version"], dist


def _metadata() -> str:
    meta = project()
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {meta['name']}",
        f"Version: {meta['version']}",
        f"Summary: {meta.get('description', '')}",
        f"Requires-Python: {meta.get('requires-python', '>=3.9')}",
        f"License: {meta.get('license', '')}",
    ]
    readme = os.path.join(ROOT, meta.get("readme", "README.md"))
    if os.path.exists(readme):
        lines.append("Description-Content-Type: text/markdown")
        with open(readme, encoding="utf-8") as f:
            return "\n".join(lines) + "\n\n" + f.read()
    return "\n".join(lines) + "\n"


def _package_files() -> List[str]:
    """Every .py file (and the py.typed marker) of the package, relative to ROOT, sorted."""
    found = []
    for folder, dirs, files in os.walk(os.path.join(ROOT, PACKAGE)):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in files:
            if name.endswith(".py") or name == "py.typed":
                found.append(os.path.relpath(os.path.join(folder, name), ROOT).replace(os.sep, "/"))
    return sorted(found)


def _dist_info_files(extra_top: Optional[str] = None) -> Dict[str, bytes]:
    _, version, dist = _names()
    info = f"{dist}-{version}.dist-info"
    wheel = "Wheel-Version: 1.0\nGenerator: agent_otp_build\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    return {
        f"{info}/METADATA": _metadata().encode("utf-8"),
        f"{info}/WHEEL": wheel.encode("utf-8"),
        f"{info}/top_level.txt": f"{extra_top or PACKAGE}\n".encode("utf-8"),
    }


def _write_wheel(directory: str, files: Dict[str, bytes]) -> str:
    _, version, dist = _names()
    name = f"{dist}-{version}-py3-none-any.whl"
    info = f"{dist}-{version}.dist-info"
    record_lines = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
        record_lines.append(f"{path},sha256={digest},{len(data)}")
    record_lines.append(f"{info}/RECORD,,")
    files = dict(files)
    files[f"{info}/RECORD"] = ("\n".join(record_lines) + "\n").encode("utf-8")
    os.makedirs(directory, exist_ok=True)
    with zipfile.ZipFile(os.path.join(directory, name), "w", zipfile.ZIP_DEFLATED) as whl:
        for path, data in files.items():
            entry = zipfile.ZipInfo(path, EPOCH)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            whl.writestr(entry, data)
    return name


def _read(path: str) -> bytes:
    with open(os.path.join(ROOT, path), "rb") as f:
        return f.read()


# PEP 517 hooks -------------------------------------------------------------------------------


def get_requires_for_build_wheel(config_settings=None):  # noqa: ANN001, ANN201
    return []


def get_requires_for_build_sdist(config_settings=None):  # noqa: ANN001, ANN201
    return []


def get_requires_for_build_editable(config_settings=None):  # noqa: ANN001, ANN201
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):  # noqa: ANN001, ANN201
    files = _dist_info_files()
    for path, data in files.items():
        target = os.path.join(metadata_directory, path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as f:
            f.write(data)
    return next(iter(files)).split("/")[0]


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):  # noqa: ANN001, ANN201
    files = {path: _read(path) for path in _package_files()}
    files.update(_dist_info_files())
    return _write_wheel(wheel_directory, files)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):  # noqa: ANN001, ANN201
    # A .pth file that puts this source folder on sys.path: edits take effect without reinstalling.
    files = {f"{PACKAGE}_editable.pth": (ROOT + "\n").encode("utf-8")}
    files.update(_dist_info_files())
    return _write_wheel(wheel_directory, files)


prepare_metadata_for_build_editable = prepare_metadata_for_build_wheel


def build_sdist(sdist_directory, config_settings=None):  # noqa: ANN001, ANN201
    _, version, dist = _names()
    base = f"{dist}-{version}"
    members = ["pyproject.toml", "README.md", "_build/agent_otp_build.py", *_package_files()]
    os.makedirs(sdist_directory, exist_ok=True)
    name = f"{base}.tar.gz"
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz", format=tarfile.PAX_FORMAT) as tar:
        entries = [(m, _read(m)) for m in members if os.path.exists(os.path.join(ROOT, m))]
        entries.append(("PKG-INFO", _metadata().encode("utf-8")))
        for path, data in entries:
            info = tarfile.TarInfo(f"{base}/{path}")
            info.size = len(data)
            info.mode = 0o644
            info.mtime = 315532800
            tar.addfile(info, io.BytesIO(data))
    return name
