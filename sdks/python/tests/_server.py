"""A real Agent OTP server for the tests: `agent-otp serve` on a free loopback port with its own
data directory and policy file, an agent key and an approver token made with the CLI.

One server is shared by every test module (started on first use, stopped at exit), because
starting it and running the CLI take a few seconds each.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from typing import Any, Dict, Optional, Tuple

SDK = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
REPO = os.path.abspath(os.path.join(SDK, "..", ".."))
# The tests run the sources (`python3 -m unittest discover -s sdks/python/tests` from anywhere).
if SDK not in sys.path:
    sys.path.insert(0, SDK)
CLI = os.path.join(REPO, "packages", "cli", "bin", "agent-otp.js")

POLICY = """
- name: "Auto-approve email"
  conditions:
    action: { equals: "gmail.send" }
  action: auto_approve
  scopeTemplate: { max_emails: 1 }
- name: "Reads may be used twice"
  conditions:
    action: { equals: "file.read" }
  action: auto_approve
  scopeTemplate: { max_uses: 2 }
- name: "Transfers need a human"
  conditions:
    action: { startsWith: "bank." }
  action: require_approval
  approvalTimeout: 60
- name: "Nobody answers these in time"
  conditions:
    action: { startsWith: "slow." }
  action: require_approval
  approvalTimeout: 10
- name: "LangChain tools"
  conditions:
    action: { startsWith: "langchain." }
  action: auto_approve
- name: "CrewAI tools"
  conditions:
    action: { startsWith: "crewai." }
  action: auto_approve
- name: "Default deny"
  conditions: {}
  action: deny
  priority: -1000
"""


def free_port() -> int:
    # The server does not report the port it bound for PORT=0, so one is picked here. Another
    # process could take it in between; the start fails loudly then rather than misbehaving.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, **env: str) -> None:
        self.data_dir = tempfile.mkdtemp(prefix="agent-otp-py-")
        with open(os.path.join(self.data_dir, "policies.yaml"), "w", encoding="utf-8") as f:
            f.write(POLICY)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(
            os.environ,
            HOST="127.0.0.1",
            PORT=str(self.port),
            AGENT_OTP_DATA_DIR=self.data_dir,
            AGENT_OTP_ADMIN_PASSWORD="python-sdk-tests-password",
            AGENT_OTP_POLICY_WATCH="false",
            AGENT_OTP_LOG_LEVEL="warn",
            # Expiry within moments of the deadline, so the expiry test does not wait long.
            AGENT_OTP_SWEEP_INTERVAL_MS="250",
        )
        self.env.update(env)
        self._user_token: Optional[str] = None
        self.env.pop("AGENT_OTP_KEY", None)
        self.log = open(os.path.join(self.data_dir, "server.log"), "wb")
        self.process = subprocess.Popen(
            ["node", CLI, "serve"], cwd=REPO, env=self.env, stdout=self.log, stderr=subprocess.STDOUT
        )
        try:
            self._wait_healthy()
            self.api_key = self.cli("agents", "create", "--name", "python-sdk-tests")["apiKey"]
        except BaseException:
            self.stop()
            raise

    @property
    def user_token(self) -> str:
        """An approver's token (the first-start admin's), made on first use."""
        if self._user_token is None:
            self._user_token = self.cli("users", "token", "create", "--name", "admin")["token"]
        return self._user_token

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}: {self.server_log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"the server did not become healthy: {self.server_log()}")

    def server_log(self) -> str:
        with open(os.path.join(self.data_dir, "server.log"), encoding="utf-8", errors="replace") as f:
            return f.read()[-4000:]

    def cli(self, *args: str) -> Dict[str, Any]:
        done = subprocess.run(
            ["node", CLI, *args, "--json"], cwd=REPO, env=self.env, capture_output=True, text=True, timeout=60
        )
        if done.returncode != 0:
            raise RuntimeError(f"agent-otp {' '.join(args)} failed: {done.stderr}")
        return json.loads(done.stdout)

    def human(self, permission_id: str, decision: str, body: Optional[Dict[str, Any]] = None) -> Tuple[int, Any]:
        """Decides a pending request as a human does: over the approval API with a user token."""
        request = urllib.request.Request(
            f"{self.url}/api/v1/approvals/{permission_id}/{decision}",
            data=json.dumps(body or {}).encode(),
            headers={"Authorization": f"Bearer {self.user_token}", "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        shutil.rmtree(self.data_dir, ignore_errors=True)


_shared: Optional[Server] = None


def server() -> Server:
    global _shared
    if _shared is None:
        _shared = Server()
        atexit.register(_shared.stop)
        _shared.user_token  # made now, not from the thread of the first approval  # noqa: B018
    return _shared
