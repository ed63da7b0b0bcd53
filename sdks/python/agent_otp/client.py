"""The client of an Agent OTP server for one agent (one API key)."""

from __future__ import annotations

import os
import urllib.parse
from typing import Any, Callable, Dict, Optional, TypeVar

from . import __version__
from ._transport import Transport
from ._waiting import _path, wait_for_decision
from .errors import (
    AgentOTPError,
    AuthenticationError,
    PermissionDeniedError,
    PermissionExpiredError,
    TimeoutError,
    ValidationError,
)
from .models import (
    PendingApprovalInfo,
    Permission,
    UseResult,
    VerifyResult,
    from_decided_view,
    from_request_response,
    from_view,
    use_result,
    verify_result,
)

T = TypeVar("T")
DEFAULT_BASE_URL = "http://localhost:8787"


class AgentOTPClient:
    """Client of an Agent OTP server for one agent.

    Example::

        otp = AgentOTPClient()  # the key from AGENT_OTP_KEY
        permission = otp.request_permission(
            "gmail.send",
            resource="email:client@example.com",
            scope={"max_emails": 1, "subject_pattern": "^Invoice.*"},
            wait_for_approval=True,
        )
        if permission.status == "approved":
            otp.use_token(permission.id, permission.token, {"subject": "Invoice #123"})
    """

    def __init__(
        self,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        *,
        timeout: float = 30.0,
        max_retries: int = 2,
        user_agent: Optional[str] = None,
    ) -> None:
        """``api_key`` defaults to ``AGENT_OTP_KEY``, ``base_url`` to ``AGENT_OTP_URL`` or
        ``http://localhost:8787``. ``timeout`` bounds one HTTP attempt (seconds); ``max_retries``
        how often a retryable failure is repeated. Raises ``AuthenticationError``
        (``MISSING_API_KEY``) when there is no ``ak_...`` key, so a typo fails at start.
        """
        key = api_key if api_key is not None else os.environ.get("AGENT_OTP_KEY")
        if not key:
            raise AuthenticationError(
                "MISSING_API_KEY", "api_key is required: pass the agent API key (ak_...) or set AGENT_OTP_KEY"
            )
        if not key.startswith("ak_"):
            # The key itself is never echoed: error messages end up in logs.
            raise AuthenticationError("MISSING_API_KEY", 'api_key must be an agent API key starting with "ak_"')
        url = base_url or os.environ.get("AGENT_OTP_URL") or DEFAULT_BASE_URL
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise ValidationError("INVALID_OPTIONS", "base_url must be an http:// or https:// URL")
        if not timeout > 0:
            raise ValidationError("INVALID_OPTIONS", "timeout must be a positive number of seconds")
        if not isinstance(max_retries, int) or max_retries < 0:
            raise ValidationError("INVALID_OPTIONS", "max_retries must be a whole number >= 0")
        self._transport = Transport(url, key, float(timeout), max_retries, user_agent or f"agent-otp-python/{__version__}")

    @property
    def base_url(self) -> str:
        return self._transport.base_url

    def __repr__(self) -> str:  # never the key
        return f"AgentOTPClient(base_url={self.base_url!r})"

    def request_permission(
        self,
        action: str,
        resource: Optional[str] = None,
        scope: Optional[Dict[str, Any]] = None,
        context: Optional[Dict[str, Any]] = None,
        ttl: Optional[int] = None,
        wait_for_approval: bool = False,
        timeout: Optional[float] = None,
        on_pending_approval: Optional[Callable[[PendingApprovalInfo], Any]] = None,
    ) -> Permission:
        """Asks for a one-time permission. Returns the outcome as a value -- approved (with the
        token), pending, or denied/expired/cancelled -- and raises only when the call failed.

        With ``wait_for_approval``, a pending request calls ``on_pending_approval`` and then waits
        for the human decision (``timeout`` seconds at most; default until the server's approval
        deadline). If that wait ends without one (``TimeoutError``, ``KeyboardInterrupt``, or
        ``on_pending_approval`` raising), the request is cancelled on the server before the error
        is re-raised: nobody is left being asked to approve something no agent waits for.
        """
        body: Dict[str, Any] = {"action": action}
        for key, value in (("resource", resource), ("scope", scope), ("context", context), ("ttl", ttl)):
            if value is not None:
                body[key] = value
        answer = self._transport.send("POST", "/permissions/request", retry="connect-only", body=body)
        result = from_request_response(answer.get("data"))
        if result.status != "pending" or not wait_for_approval:
            return result
        try:
            if on_pending_approval is not None:
                on_pending_approval(
                    PendingApprovalInfo(result.id, result.approval_url or "", result.events_url or "", result.expires_at or "")
                )
        except BaseException:
            self._cancel(result.id)
            raise
        try:
            final = self.wait_for_decision(result.id, timeout=timeout)
        except (TimeoutError, KeyboardInterrupt):
            # Only when the agent gave up. A network failure or an undelivered token leaves the
            # request alone: it may already be decided, and revoking would hide what happened.
            self._cancel(result.id)
            raise
        if final.status == "approved":
            # What the rule clamped was said in the pending answer; keep it with the approval.
            import dataclasses

            return dataclasses.replace(final, adjusted=result.adjusted)
        return final

    def _cancel(self, permission_id: str) -> None:
        try:
            self.revoke(permission_id, "the agent stopped waiting for a decision")
        except AgentOTPError:
            pass

    def wait_for_decision(self, permission_id: str, timeout: Optional[float] = None) -> Permission:
        """Waits until a pending permission is decided and returns its final state (approved with
        the token of a human approval, denied, expired or cancelled). Raises ``TimeoutError``
        after ``timeout`` seconds; the request stays pending then (``request_permission`` cancels
        it). Raises ``AgentOTPError`` ``TOKEN_NOT_DELIVERED`` if the token went to another reader.
        """
        return from_decided_view(wait_for_decision(self._transport, permission_id, timeout))

    def get_permission(self, permission_id: str) -> Permission:
        """Reads a permission. After a human approval the first read carries ``token``: keep it."""
        return from_view(self._transport.send("GET", _path(permission_id), retry="safe").get("data"))

    get_permission_status = get_permission

    def list_permissions(
        self,
        status: Optional[str] = None,
        action: Optional[str] = None,
        limit: Optional[int] = None,
        cursor: Optional[str] = None,
    ) -> Dict[str, Any]:
        """This agent's permissions, newest first: ``{"data": [Permission], "next_cursor": str|None}``."""
        query = {"status": status, "action": action, "limit": limit, "cursor": cursor}
        answer = self._transport.send("GET", "/permissions", retry="safe", query=query)
        data = answer.get("data")
        cursor_out = answer.get("nextCursor")
        return {
            "data": [from_view(item) for item in data] if isinstance(data, list) else [],
            "next_cursor": cursor_out if isinstance(cursor_out, str) else None,
        }

    def verify_token(self, permission_id: str, token: str) -> VerifyResult:
        """Checks a token without spending it."""
        answer = self._transport.send("POST", _path(permission_id, "/verify"), retry="safe", body={"token": token})
        return verify_result(answer.get("data"))

    def use_token(
        self, permission_id: str, token: str, action_details: Optional[Dict[str, Any]] = None
    ) -> UseResult:
        """Spends one use. The server checks ``action_details`` against the granted scope first
        and refuses without spending on a mismatch (``ScopeViolationError``). Also raises
        ``TokenUsedError``, ``TokenExpiredError``, ``TokenRevokedError``, ``InvalidTokenError``.
        """
        body: Dict[str, Any] = {"token": token}
        if action_details is not None:
            body["actionDetails"] = action_details
        answer = self._transport.send("POST", _path(permission_id, "/use"), retry="connect-only", body=body)
        return use_result(answer.get("data"))

    def revoke(self, permission_id: str, reason: Optional[str] = None) -> Permission:
        """Revokes an approved token, or cancels a pending request; returns the permission after."""
        body = {} if reason is None else {"reason": reason}
        answer = self._transport.send("POST", _path(permission_id, "/revoke"), retry="connect-only", body=body)
        return from_view(answer.get("data"))

    revoke_token = revoke

    def execute_with_permission(
        self,
        operation: Callable[[Permission], T],
        action: str,
        resource: Optional[str] = None,
        scope: Optional[Dict[str, Any]] = None,
        context: Optional[Dict[str, Any]] = None,
        ttl: Optional[int] = None,
        timeout: Optional[float] = None,
        on_pending_approval: Optional[Callable[[PendingApprovalInfo], Any]] = None,
        action_details: Optional[Dict[str, Any]] = None,
    ) -> T:
        """Requests a permission (waiting for a human if the policy asks), spends one use of its
        token with ``action_details``, and only then runs ``operation(permission)``.

        The token is spent first because spending is the server's single-use check and its scope
        check: a token that is used, expired, revoked or out of scope stops the operation from
        running at all, and two holders of one token cannot both act. The cost: if the operation
        raises after the spend, the use is gone. Nothing is spent when the permission is not
        granted: ``PermissionDeniedError`` (denied, cancelled, revoked) or
        ``PermissionExpiredError`` (nobody decided in time) is raised and ``operation`` never runs.
        """
        permission = self.request_permission(
            action,
            resource=resource,
            scope=scope,
            context=context,
            ttl=ttl,
            wait_for_approval=True,
            timeout=timeout,
            on_pending_approval=on_pending_approval,
        )
        if permission.status != "approved" or permission.token is None:
            raise not_granted(permission)
        self.use_token(permission.id, permission.token, action_details)
        return operation(permission)


def not_granted(permission: Permission) -> AgentOTPError:
    details = {
        "permissionId": permission.id,
        "status": permission.status,
        "reason": permission.reason,
        "policy": permission.policy,
    }
    if permission.status == "expired":
        return PermissionExpiredError(f"permission {permission.id} expired before a decision", details=details)
    if permission.status == "pending":
        # wait_for_approval returns only a decision; this guards the contract, not a real path.
        return PermissionDeniedError(f"permission {permission.id} is still pending", code="PERMISSION_PENDING", details=details)
    return PermissionDeniedError(
        f"permission {permission.id} was not granted: {permission.reason}", details=details
    )
