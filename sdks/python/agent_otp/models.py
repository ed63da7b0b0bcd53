"""Result types. Field names are the API's, in snake_case; ``raw`` keeps the server's payload.

The server is trusted for values but not for shape: the fields a caller relies on for security (a
string token on approval, a known status) are checked, and a mismatch is an error rather than a
half-filled result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from .errors import AgentOTPError, ServerError

STATUSES = ("pending", "approved", "denied", "expired", "cancelled", "used", "revoked")


@dataclass(frozen=True)
class PendingApprovalInfo:
    """Where a human can decide a pending request; passed to ``on_pending_approval``."""

    id: str
    approval_url: str
    events_url: str
    expires_at: str


@dataclass(frozen=True)
class Permission:
    """A permission: the outcome of ``request_permission`` or the state ``get_permission`` reads.

    ``status`` is one of ``pending``, ``approved``, ``denied``, ``expired``, ``cancelled``,
    ``used``, ``revoked``. ``token`` is set when approved (``otp_...``; keep it out of logs).
    """

    id: str
    status: str
    token: Optional[str] = field(default=None, repr=False)
    scope: Dict[str, Any] = field(default_factory=dict)
    expires_at: Optional[str] = None
    uses_remaining: Optional[int] = None
    enforcement: str = "lenient"
    adjusted: List[Dict[str, Any]] = field(default_factory=list)
    policy: Dict[str, Any] = field(default_factory=dict)
    reason: Optional[str] = None
    approval_url: Optional[str] = None
    events_url: Optional[str] = None
    approvals_required: Optional[int] = None
    action: Optional[str] = None
    resource: Optional[str] = None
    requested_scope: Optional[Dict[str, Any]] = None
    context: Optional[Dict[str, Any]] = None
    created_at: Optional[str] = None
    decided_at: Optional[str] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def approved(self) -> bool:
        return self.status == "approved"


@dataclass(frozen=True)
class VerifyResult:
    """``verify_token``: whether the token could be spent now, without spending it."""

    valid: bool
    reason: Optional[str] = None
    status: Optional[str] = None
    scope: Dict[str, Any] = field(default_factory=dict)
    uses_remaining: Optional[int] = None
    expires_at: Optional[str] = None
    enforcement: Optional[str] = None
    #: Scope keys the server does not interpret: the protected operation must check them.
    unenforced: List[str] = field(default_factory=list)
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class UseResult:
    """``use_token``: one use spent. ``unchecked`` lists constraints the server could not check."""

    success: bool
    status: str
    uses_remaining: Optional[int]
    unchecked: List[str] = field(default_factory=list)


def unexpected(what: str) -> ServerError:
    return ServerError("UNEXPECTED_RESPONSE", f"the server sent {what}; is base_url an Agent OTP server?")


def _str(payload: Dict[str, Any], key: str) -> str:
    value = payload.get(key)
    if not isinstance(value, str):
        raise unexpected(f'no string "{key}"')
    return value


def _policy(payload: Dict[str, Any]) -> Dict[str, Any]:
    policy = payload.get("policy")
    if not isinstance(policy, dict):
        raise unexpected('no "policy"')
    return policy


def _dict(value: Any) -> Dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _uses(payload: Dict[str, Any]) -> Optional[int]:
    value = payload.get("usesRemaining")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _enforcement(value: Any) -> str:
    # A server that predates the field enforced leniently.
    return "strict" if value == "strict" else "lenient"


def _adjusted(value: Any) -> List[Dict[str, Any]]:
    return value if isinstance(value, list) else []


def from_request_response(data: Any) -> Permission:
    """The body of ``POST /permissions/request`` (201 approved, 202 pending, 200 denied)."""
    payload = _dict(data)
    pid = _str(payload, "id")
    policy = _policy(payload)
    status = payload.get("status")
    if status == "approved":
        return Permission(
            id=pid,
            status="approved",
            token=_str(payload, "token"),
            scope=_dict(payload.get("scope")),
            uses_remaining=_uses(payload),
            enforcement=_enforcement(payload.get("enforcement")),
            expires_at=_str(payload, "expiresAt"),
            adjusted=_adjusted(payload.get("adjusted")),
            policy=policy,
            raw=payload,
        )
    if status == "pending":
        required = payload.get("approvalsRequired")
        return Permission(
            id=pid,
            status="pending",
            approval_url=_str(payload, "approvalUrl"),
            events_url=_str(payload, "eventsUrl"),
            approvals_required=required if isinstance(required, int) else 1,
            expires_at=_str(payload, "expiresAt"),
            adjusted=_adjusted(payload.get("adjusted")),
            policy=policy,
            raw=payload,
        )
    if status == "denied":
        return Permission(id=pid, status="denied", reason=_str(payload, "reason"), policy=policy, raw=payload)
    raise unexpected(f"an unknown status {status!r}")


def from_view(data: Any) -> Permission:
    """A permission as stored (``GET /permissions/:id``, its long-poll and its events)."""
    payload = _dict(data)
    pid = _str(payload, "id")
    status = _str(payload, "status")
    if status not in STATUSES:
        raise unexpected(f"an unknown status {status!r}")
    token = payload.get("token")
    return Permission(
        id=pid,
        status=status,
        token=token if isinstance(token, str) else None,
        scope=_dict(payload.get("scope")),
        expires_at=payload.get("expiresAt"),
        uses_remaining=_uses(payload),
        enforcement=_enforcement(payload.get("enforcement")),
        policy=_policy(payload),
        reason=payload.get("reason"),
        action=payload.get("action"),
        resource=payload.get("resource"),
        requested_scope=_dict(payload.get("requestedScope")),
        context=_dict(payload.get("context")),
        created_at=payload.get("createdAt"),
        decided_at=payload.get("decidedAt"),
        raw=payload,
    )


def from_decided_view(view: Permission) -> Permission:
    """The final state after a wait. A human approval carries the token in the first read only;
    if this client did not get it (another reader with the same key took it, or a dropped
    connection lost it), there is nothing usable to return, so that is an error.
    """
    if view.status == "approved" and view.token is None:
        raise AgentOTPError(
            "TOKEN_NOT_DELIVERED",
            f"permission {view.id} was approved, but its token was delivered to an earlier reader; "
            "request a new permission",
            details={"permissionId": view.id},
        )
    if view.status == "pending":
        raise unexpected(f"permission {view.id} as still pending after the wait ended")
    if view.status != "approved" and view.reason is None:
        return _replace(view, reason=view.status)
    return view


def _replace(view: Permission, **changes: Any) -> Permission:
    import dataclasses

    return dataclasses.replace(view, **changes)


def verify_result(data: Any) -> VerifyResult:
    payload = _dict(data)
    return VerifyResult(
        valid=payload.get("valid") is True,
        reason=payload.get("reason"),
        status=payload.get("status"),
        scope=_dict(payload.get("scope")),
        uses_remaining=_uses(payload),
        expires_at=payload.get("expiresAt"),
        enforcement=payload.get("enforcement"),
        unenforced=list(payload.get("unenforced") or []),
        raw=payload,
    )


def use_result(data: Any) -> UseResult:
    payload = _dict(data)
    return UseResult(
        success=payload.get("success") is True,
        status=str(payload.get("status")),
        uses_remaining=_uses(payload),
        unchecked=list(payload.get("unchecked") or []),
    )
