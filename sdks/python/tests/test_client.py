"""The auto-approved lifecycle, denial as a value, scope checks and errors, against a real server."""

from __future__ import annotations

import os
import unittest
from unittest import mock

from _server import free_port, server  # first: puts the SDK on sys.path
from agent_otp import (
    AgentOTPClient,
    AuthenticationError,
    InvalidTokenError,
    NetworkError,
    NotFoundError,
    ScopeViolationError,
    TokenUsedError,
    ValidationError,
)

INVOICE = {
    "action": "gmail.send",
    "resource": "email:client@example.com",
    "scope": {"max_emails": 1, "subject_pattern": "^Invoice.*"},
    "context": {"reason": "Sending monthly invoice to client"},
}


class LifecycleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.server = server()
        cls.otp = AgentOTPClient(api_key=cls.server.api_key, base_url=cls.server.url)

    def test_auto_approve_verify_use_then_second_use_is_refused(self) -> None:
        permission = self.otp.request_permission(**INVOICE)
        self.assertEqual(permission.status, "approved")
        self.assertTrue(permission.token and permission.token.startswith("otp_"))
        self.assertEqual(permission.scope.get("subject_pattern"), "^Invoice.*")
        self.assertIsNotNone(permission.expires_at)
        self.assertNotIn(permission.token, repr(permission))  # the token stays out of logs

        check = self.otp.verify_token(permission.id, permission.token)
        self.assertTrue(check.valid)
        self.assertEqual(check.uses_remaining, 1)

        used = self.otp.use_token(permission.id, permission.token, {"subject": "Invoice #123"})
        self.assertTrue(used.success)
        self.assertEqual(used.status, "used")
        with self.assertRaises(TokenUsedError) as caught:
            self.otp.use_token(permission.id, permission.token, {"subject": "Invoice #123"})
        self.assertEqual(caught.exception.code, "TOKEN_USED")
        self.assertEqual(caught.exception.status, 409)
        self.assertFalse(self.otp.verify_token(permission.id, permission.token).valid)
        self.assertEqual(self.otp.get_permission(permission.id).status, "used")

    def test_denial_is_a_value(self) -> None:
        permission = self.otp.request_permission("db.drop", resource="db:production")
        self.assertEqual(permission.status, "denied")
        self.assertIsNone(permission.token)
        self.assertTrue(permission.reason)
        self.assertEqual(permission.policy.get("decision"), "deny")

    def test_scope_violation_refuses_without_spending(self) -> None:
        permission = self.otp.request_permission(**INVOICE)
        with self.assertRaises(ScopeViolationError) as caught:
            self.otp.use_token(permission.id, permission.token, {"subject": "Hello"})
        self.assertEqual(caught.exception.constraint, "subject_pattern")
        check = self.otp.verify_token(permission.id, permission.token)
        self.assertTrue(check.valid)
        self.assertEqual(check.uses_remaining, 1)
        self.assertTrue(self.otp.use_token(permission.id, permission.token, {"subject": "Invoice #1"}).success)

    def test_wrong_token_and_unknown_id(self) -> None:
        permission = self.otp.request_permission("file.read", resource="file:/tmp/a.txt")
        with self.assertRaises(InvalidTokenError):
            self.otp.use_token(permission.id, "otp_" + "x" * 43)
        with self.assertRaises(NotFoundError):
            self.otp.get_permission("perm_doesnotexist000000000")
        # Two uses were granted and the refused one spent nothing.
        self.assertEqual(self.otp.use_token(permission.id, permission.token).uses_remaining, 1)

    def test_revoke_makes_the_token_unusable(self) -> None:
        permission = self.otp.request_permission("file.read")
        self.assertEqual(self.otp.revoke(permission.id, "done early").status, "revoked")
        self.assertEqual(self.otp.verify_token(permission.id, permission.token).reason, "TOKEN_REVOKED")

    def test_bad_input_is_a_validation_error(self) -> None:
        with self.assertRaises(ValidationError) as caught:
            self.otp.request_permission("gmail.send", ttl=5)
        self.assertEqual(caught.exception.status, 400)
        self.assertIn("ttl", [issue.get("field") for issue in caught.exception.issues])

    def test_list_permissions(self) -> None:
        made = self.otp.request_permission("file.read")
        page = self.otp.list_permissions(action="file.read", limit=5)
        self.assertIn(made.id, [p.id for p in page["data"]])


class AuthAndNetworkTest(unittest.TestCase):
    def test_unknown_key_is_an_authentication_error(self) -> None:
        otp = AgentOTPClient(api_key="ak_" + "A" * 43, base_url=server().url)
        with self.assertRaises(AuthenticationError) as caught:
            otp.request_permission("gmail.send")
        self.assertEqual(caught.exception.status, 401)

    def test_key_comes_from_the_environment(self) -> None:
        with mock.patch.dict(os.environ, {"AGENT_OTP_KEY": server().api_key, "AGENT_OTP_URL": server().url}):
            self.assertEqual(AgentOTPClient().request_permission("file.read").status, "approved")
        with mock.patch.dict(os.environ, {}, clear=True):
            with self.assertRaises(AuthenticationError) as caught:
                AgentOTPClient()
            self.assertEqual(caught.exception.code, "MISSING_API_KEY")
        with self.assertRaises(AuthenticationError):
            AgentOTPClient(api_key="sk_not_an_agent_key")

    def test_unreachable_server_is_a_network_error(self) -> None:
        otp = AgentOTPClient(api_key="ak_x", base_url=f"http://127.0.0.1:{free_port()}", max_retries=1)
        with self.assertRaises(NetworkError) as caught:
            otp.request_permission("gmail.send")
        self.assertEqual(caught.exception.code, "NETWORK_ERROR")


if __name__ == "__main__":
    unittest.main()
