"""The SDK's typed errors, named as in the TypeScript SDK.

The server answers every failure with a catalogued UPPER_SNAKE code; ``error_from_response`` maps
each code back to one class here, so callers can ``except`` the case they handle and still read the
original ``code``, ``status``, ``details`` and ``request_id`` for logs.

Expected outcomes are not errors: a request denied by policy or still pending is returned as a
value (``Permission.status``). Only helpers that need a granted permission to go on
(``execute_with_permission``, ``requires_permission``) turn a denial into ``PermissionDeniedError``.
"""

from __future__ import annotations

import email.utils
import math
import time
from typing import Any, Dict, List, Mapping, Optional


class AgentOTPError(Exception):
    """Base class of every error this SDK raises."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: Optional[int] = None,
        details: Any = None,
        request_id: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.details = details
        self.request_id = request_id

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class PermissionDeniedError(AgentOTPError):
    """The permission was not granted (denied, cancelled or revoked); the guarded call did not run."""

    def __init__(self, message: str, *, code: str = "PERMISSION_DENIED", **kwargs: Any) -> None:
        super().__init__(code, message, **kwargs)


class PermissionExpiredError(AgentOTPError):
    """The pending request passed its approval deadline before anyone decided."""

    def __init__(self, message: str, **kwargs: Any) -> None:
        super().__init__("PERMISSION_EXPIRED", message, **kwargs)


class TokenUsedError(AgentOTPError):
    """The token has no uses left (HTTP 409 ``TOKEN_USED``)."""


class TokenExpiredError(AgentOTPError):
    """The token's lifetime is over (HTTP 410 ``TOKEN_EXPIRED``)."""


class TokenRevokedError(AgentOTPError):
    """The token was revoked (HTTP 410 ``TOKEN_REVOKED``)."""


class InvalidTokenError(AgentOTPError):
    """The token does not belong to this permission, or is malformed (HTTP 401)."""


class ScopeViolationError(AgentOTPError):
    """``action_details`` fall outside the granted scope (HTTP 403). The token was not spent.

    ``constraint`` names the scope key that refused, e.g. ``subject_pattern``.
    """

    @property
    def constraint(self) -> Optional[str]:
        value = self.details.get("constraint") if isinstance(self.details, dict) else None
        return value if isinstance(value, str) else None


class AuthenticationError(AgentOTPError):
    """The API key is missing, malformed, unknown or disabled."""


class ValidationError(AgentOTPError):
    """The server refused the input (HTTP 400/413/415); ``issues`` lists each field and reason."""

    @property
    def issues(self) -> List[Dict[str, str]]:
        details = self.details if isinstance(self.details, dict) else {}
        if isinstance(details.get("issues"), list):
            return details["issues"]
        # Service-level validation names a single field instead of a list.
        if isinstance(details.get("field"), str):
            return [{"field": details["field"], "message": self.message}]
        return []


class NotFoundError(AgentOTPError):
    """No such permission for this agent (another agent's permission answers the same)."""


class RateLimitError(AgentOTPError):
    """Too many requests (HTTP 429). Never retried automatically: wait ``retry_after`` seconds."""

    def __init__(self, code: str, message: str, *, retry_after: Optional[int] = None, **kwargs: Any) -> None:
        super().__init__(code, message, **kwargs)
        from_details = self.details.get("retryAfter") if isinstance(self.details, dict) else None
        if retry_after is not None:
            self.retry_after = retry_after
        elif isinstance(from_details, (int, float)) and not isinstance(from_details, bool):
            self.retry_after = int(math.ceil(from_details))
        else:
            self.retry_after = 1


class TimeoutError(AgentOTPError):  # noqa: A001 - the TypeScript SDK's name, on purpose
    """A request, or a wait for a decision, took longer than allowed."""

    def __init__(self, message: str, **kwargs: Any) -> None:
        super().__init__("TIMEOUT", message, **kwargs)


class NetworkError(AgentOTPError):
    """The server could not be reached (after the allowed retries). ``__cause__`` holds why."""

    def __init__(self, message: str, **kwargs: Any) -> None:
        super().__init__("NETWORK_ERROR", message, **kwargs)


class ServerError(AgentOTPError):
    """The server failed (HTTP 5xx), or answered something that is not the Agent OTP API."""


# The server's error catalogue -> classes. Unknown codes fall back to the HTTP status, so a code
# added to the server later still gets a sensible class.
_BY_CODE = {
    "UNAUTHORIZED": AuthenticationError,
    "AGENT_DISABLED": AuthenticationError,
    "AGENT_EXPIRED": AuthenticationError,
    "FORBIDDEN": AuthenticationError,
    "INVALID_TOKEN": InvalidTokenError,
    "SCOPE_VIOLATION": ScopeViolationError,
    "NOT_FOUND": NotFoundError,
    "TOKEN_USED": TokenUsedError,
    "TOKEN_EXPIRED": TokenExpiredError,
    "TOKEN_REVOKED": TokenRevokedError,
    "VALIDATION_ERROR": ValidationError,
    "INVALID_JSON": ValidationError,
    "PAYLOAD_TOO_LARGE": ValidationError,
    "UNSUPPORTED_MEDIA_TYPE": ValidationError,
    "RATE_LIMITED": RateLimitError,
    "INTERNAL_ERROR": ServerError,
    "SERVICE_UNAVAILABLE": ServerError,
}


def _by_status(status: int) -> type:
    if status >= 500:
        return ServerError
    if status == 429:
        return RateLimitError
    if status == 404:
        return NotFoundError
    if status == 401:
        return AuthenticationError
    if status in (400, 413, 415):
        return ValidationError
    return AgentOTPError


def parse_retry_after(header: Optional[str]) -> Optional[int]:
    """``Retry-After`` is seconds or an HTTP date; both become whole seconds from now."""
    if not header:
        return None
    try:
        seconds = float(header)
        if seconds >= 0 and math.isfinite(seconds):
            return int(math.ceil(seconds))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(header).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0, int(math.ceil(when - time.time())))


def error_from_response(status: int, headers: Mapping[str, str], body: Any) -> AgentOTPError:
    """Turns a failed HTTP response into a typed error. ``body`` is the parsed JSON or None."""
    envelope = body.get("error") if isinstance(body, dict) else None
    envelope = envelope if isinstance(envelope, dict) else {}
    code = envelope.get("code")
    if not isinstance(code, str):
        code = "SERVER_ERROR" if status >= 500 else "HTTP_ERROR"
    message = envelope.get("message")
    if not isinstance(message, str):
        message = f"unexpected HTTP {status} from the Agent OTP server"
    request_id = envelope.get("requestId")
    if not isinstance(request_id, str):
        request_id = headers.get("x-request-id")
    kwargs: Dict[str, Any] = {"status": status, "details": envelope.get("details"), "request_id": request_id}
    if code == "PERMISSION_DENIED":
        return PermissionDeniedError(message, code=code, **kwargs)
    cls = _BY_CODE.get(code) or _by_status(status)
    if cls is RateLimitError:
        return RateLimitError(code, message, retry_after=parse_retry_after(headers.get("retry-after")), **kwargs)
    return cls(code, message, **kwargs)
