"""Error mapping: the server's codes become the SDK's classes; 429 is never retried."""

from __future__ import annotations

import time
import unittest

from _server import Server  # first: puts the SDK on sys.path
from agent_otp import (
    AgentOTPClient,
    AgentOTPError,
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ScopeViolationError,
    ServerError,
    TokenExpiredError,
    ValidationError,
)
from agent_otp.errors import error_from_response, parse_retry_after


class RateLimitTest(unittest.TestCase):
    def test_429_is_a_rate_limit_error_with_retry_after_and_is_not_retried(self) -> None:
        # Its own server: one request per minute per agent.
        limited = Server(AGENT_OTP_RATE_LIMIT="1")
        self.addCleanup(limited.stop)
        otp = AgentOTPClient(api_key=limited.api_key, base_url=limited.url, max_retries=2)
        self.assertEqual(otp.request_permission("gmail.send").status, "approved")
        started = time.monotonic()
        with self.assertRaises(RateLimitError) as caught:
            otp.request_permission("gmail.send")
        self.assertLess(time.monotonic() - started, 1)  # no backoff: not retried
        self.assertEqual(caught.exception.status, 429)
        self.assertEqual(caught.exception.code, "RATE_LIMITED")
        self.assertGreaterEqual(caught.exception.retry_after, 1)
        self.assertLessEqual(caught.exception.retry_after, 60)


class MappingTest(unittest.TestCase):
    def error(self, status: int, code: str, details: object = None, headers: dict = None) -> AgentOTPError:  # type: ignore[assignment]
        body = {"success": False, "error": {"code": code, "message": "m", "details": details, "requestId": "req_1"}}
        return error_from_response(status, headers or {}, body)

    def test_codes(self) -> None:
        cases = [
            (401, "UNAUTHORIZED", AuthenticationError),
            (403, "AGENT_DISABLED", AuthenticationError),
            (403, "AGENT_EXPIRED", AuthenticationError),
            (403, "SCOPE_VIOLATION", ScopeViolationError),
            (403, "PERMISSION_DENIED", PermissionDeniedError),
            (404, "NOT_FOUND", NotFoundError),
            (410, "TOKEN_EXPIRED", TokenExpiredError),
            (400, "VALIDATION_ERROR", ValidationError),
            (500, "INTERNAL_ERROR", ServerError),
            # Unknown codes fall back to the status; "__init__" must not reach a class attribute.
            (503, "SOMETHING_NEW", ServerError),
            (418, "__init__", AgentOTPError),
        ]
        for status, code, cls in cases:
            error = self.error(status, code)
            self.assertIs(type(error), cls, code)
            self.assertEqual((error.code, error.status, error.request_id), (code, status, "req_1"))

    def test_not_our_envelope(self) -> None:
        error = error_from_response(502, {"x-request-id": "req_2"}, None)
        self.assertIsInstance(error, ServerError)
        self.assertEqual((error.code, error.request_id), ("SERVER_ERROR", "req_2"))

    def test_retry_after(self) -> None:
        self.assertEqual(self.error(429, "RATE_LIMITED", headers={"retry-after": "7"}).retry_after, 7)  # type: ignore[attr-defined]
        self.assertEqual(self.error(429, "RATE_LIMITED", details={"retryAfter": 3}).retry_after, 3)  # type: ignore[attr-defined]
        self.assertEqual(self.error(429, "RATE_LIMITED").retry_after, 1)  # type: ignore[attr-defined]
        self.assertIsNone(parse_retry_after("soon"))
        self.assertEqual(parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT"), 0)


if __name__ == "__main__":
    unittest.main()
