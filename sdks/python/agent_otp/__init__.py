"""Python client of Agent OTP: one-time, scoped, human-approved permissions for AI agents.

Standard library only; Python 3.9+. See README.md.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .client import AgentOTPClient  # noqa: E402
from .decorators import current_permission, requires_permission  # noqa: E402
from .errors import (  # noqa: E402
    AgentOTPError,
    AuthenticationError,
    InvalidTokenError,
    NetworkError,
    NotFoundError,
    PermissionDeniedError,
    PermissionExpiredError,
    RateLimitError,
    ScopeViolationError,
    ServerError,
    TimeoutError,
    TokenExpiredError,
    TokenRevokedError,
    TokenUsedError,
    ValidationError,
)
from .models import PendingApprovalInfo, Permission, UseResult, VerifyResult  # noqa: E402

__all__ = [
    "AgentOTPClient",
    "AgentOTPError",
    "AuthenticationError",
    "InvalidTokenError",
    "NetworkError",
    "NotFoundError",
    "PendingApprovalInfo",
    "Permission",
    "PermissionDeniedError",
    "PermissionExpiredError",
    "RateLimitError",
    "ScopeViolationError",
    "ServerError",
    "TimeoutError",
    "TokenExpiredError",
    "TokenRevokedError",
    "TokenUsedError",
    "UseResult",
    "ValidationError",
    "VerifyResult",
    "current_permission",
    "requires_permission",
]
