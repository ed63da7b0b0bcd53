"""The package builds (wheel and sdist) with the in-tree backend and installs offline into a fresh
virtual environment, where it imports from site-packages, not from the source tree."""

from __future__ import annotations

import hashlib
import base64
import os
import subprocess
import sys
import tarfile
import tempfile
import unittest
import zipfile

from _server import SDK

sys.path.insert(0, os.path.join(SDK, "_build"))
import agent_otp_build  # noqa: E402


def _pip_version() -> tuple:
    try:
        import pip
    except ImportError:
        return (0,)
    return tuple(int(part) for part in pip.__version__.split(".")[:2] if part.isdigit())


class WheelTest(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="agent-otp-wheel-")
        self.addCleanup(self.tmp.cleanup)

    def test_wheel_contents_and_record(self) -> None:
        name = agent_otp_build.build_wheel(self.tmp.name)
        self.assertEqual(name, "agent_otp-0.1.0-py3-none-any.whl")
        with zipfile.ZipFile(os.path.join(self.tmp.name, name)) as whl:
            names = whl.namelist()
            for module in ("agent_otp/__init__.py", "agent_otp/client.py", "agent_otp/integrations/langchain.py", "agent_otp/py.typed"):
                self.assertIn(module, names)
            self.assertFalse([n for n in names if "__pycache__" in n or n.startswith("tests/")])
            metadata = whl.read("agent_otp-0.1.0.dist-info/METADATA").decode()
            self.assertIn("Name: agent-otp\n", metadata)
            self.assertIn("Requires-Python: >=3.9", metadata)
            # Every file is listed in RECORD with its real hash, as installers check.
            record = whl.read("agent_otp-0.1.0.dist-info/RECORD").decode().splitlines()
            listed = {line.split(",")[0]: line.split(",")[1] for line in record}
            self.assertEqual(set(listed), set(names))
            for path, digest in listed.items():
                if path.endswith("RECORD"):
                    continue
                expected = base64.urlsafe_b64encode(hashlib.sha256(whl.read(path)).digest()).rstrip(b"=").decode()
                self.assertEqual(digest, f"sha256={expected}", path)

    def test_sdist_contents(self) -> None:
        name = agent_otp_build.build_sdist(self.tmp.name)
        with tarfile.open(os.path.join(self.tmp.name, name)) as sdist:
            names = sdist.getnames()
        for path in ("pyproject.toml", "PKG-INFO", "_build/agent_otp_build.py", "agent_otp/client.py"):
            self.assertIn(f"agent_otp-0.1.0/{path}", names)

    def test_pip_installs_offline_into_a_fresh_venv(self) -> None:
        venv = os.path.join(self.tmp.name, "venv")
        # Without its own pip when this pip can install into another interpreter (22.3+):
        # bootstrapping one takes seconds. Otherwise with the venv's own pip.
        own_pip = _pip_version() < (22, 3)
        subprocess.run(
            [sys.executable, "-m", "venv", *([] if own_pip else ["--without-pip"]), venv],
            check=True,
            capture_output=True,
        )
        python = os.path.join(venv, "Scripts" if os.name == "nt" else "bin", "python")
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "AGENT_OTP_KEY")}
        # pip runs the PEP 517 backend itself, with nothing to download (--no-index).
        pip = [python, "-m", "pip"] if own_pip else [sys.executable, "-m", "pip", "--python", python]
        pip.append("--disable-pip-version-check")
        install = subprocess.run(
            [*pip, "install", "--no-index", SDK],
            capture_output=True, text=True, env=env, cwd=self.tmp.name,
        )
        self.assertEqual(install.returncode, 0, install.stdout + install.stderr)
        code = (
            "import agent_otp, os\n"
            "print(agent_otp.__file__)\n"
            "try:\n"
            "    agent_otp.AgentOTPClient()\n"
            "except agent_otp.AuthenticationError as e:\n"
            "    print(e.code)\n"
        )
        done = subprocess.run([python, "-c", code], capture_output=True, text=True, env=env, cwd=self.tmp.name, check=True)
        lines = done.stdout.splitlines()
        self.assertIn(os.path.join(venv, ""), lines[0])
        self.assertIn("site-packages", lines[0])
        self.assertEqual(lines[1], "MISSING_API_KEY")
        # The build left nothing behind in the source tree.
        self.assertFalse([n for n in os.listdir(SDK) if n.endswith(".egg-info") or n == "build"])


if __name__ == "__main__":
    unittest.main()
