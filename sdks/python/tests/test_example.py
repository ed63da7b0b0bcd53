"""examples/readme_example.py runs as a user runs it, against a real server: the Python
agent goes through the same flow as the TypeScript example (request, send, spend once)."""

from __future__ import annotations

import os
import subprocess
import sys
import unittest

from _server import REPO, server  # first: puts the SDK on sys.path
from agent_otp import AgentOTPClient

EXAMPLE = os.path.join(REPO, "examples", "readme_example.py")


class ExampleTest(unittest.TestCase):
    def test_the_readme_example_sends_once_and_spends_the_token(self) -> None:
        env = dict(os.environ)
        env.update(
            AGENT_OTP_KEY=server().api_key,
            AGENT_OTP_URL=server().url,
            PYTHONPATH=os.path.join(REPO, "sdks", "python"),
        )
        done = subprocess.run([sys.executable, EXAMPLE], env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn('send_email: sent "Invoice #123" to client@example.com', done.stdout)

        otp = AgentOTPClient(api_key=server().api_key, base_url=server().url)
        newest = otp.list_permissions(action="gmail.send", limit=1)["data"][0]
        self.assertEqual(newest.status, "used")
        self.assertEqual(newest.raw.get("resource"), "email:client@example.com")


if __name__ == "__main__":
    unittest.main()
