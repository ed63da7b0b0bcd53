"""``requires_permission``: put a function behind a one-time permission.

The guarded call requests the permission, waits for a human if the policy asks for one, spends
the token with the call's arguments as ``action_details`` (so the server checks them against the
granted scope), and only then runs the function -- once. When the permission is not granted, or
the spend is refused, the function never runs and the error is raised instead. The framework
wrappers (``agent_otp.integrations``) are built on ``guarded_call``.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import json
from typing import Any, Callable, Dict, Optional, Union

from .client import AgentOTPClient
from .models import PendingApprovalInfo, Permission

Arguments = Dict[str, Any]
#: A fixed value, or a function of the call's arguments (by parameter name) that computes it.
Computed = Union[Any, Callable[[Arguments], Any]]
ClientSource = Union[AgentOTPClient, Callable[[], AgentOTPClient], None]

_current: contextvars.ContextVar[Optional[Permission]] = contextvars.ContextVar("agent_otp_permission", default=None)


def current_permission() -> Optional[Permission]:
    """The (already spent) permission of the guarded call running now, e.g. to pass its token on."""
    return _current.get()


def _resolve(value: Computed, arguments: Arguments) -> Any:
    return value(arguments) if callable(value) else value


def json_safe(arguments: Arguments) -> Arguments:
    """The arguments as JSON values: what the server checks and the approver sees. Objects that
    JSON cannot carry are shown by ``str``."""
    return json.loads(json.dumps(arguments, default=str))


def call_arguments(fn: Callable[..., Any], args: Any, kwargs: Any) -> Arguments:
    """The call's arguments by parameter name, defaults included; ``self``/``cls`` left out."""
    try:
        bound = inspect.signature(fn).bind(*args, **kwargs)
    except (TypeError, ValueError):
        return dict(kwargs)
    bound.apply_defaults()
    named: Arguments = {}
    for name, value in bound.arguments.items():
        if name in ("self", "cls"):
            continue
        param = bound.signature.parameters[name]
        if param.kind is inspect.Parameter.VAR_KEYWORD:
            named.update(value)
        elif param.kind is inspect.Parameter.VAR_POSITIONAL:
            named[name] = list(value)
        else:
            named[name] = value
    return named


class PermissionSpec:
    """What to ask for, each field fixed or computed from the call's arguments."""

    def __init__(
        self,
        action: Computed,
        resource: Computed = None,
        scope: Computed = None,
        context: Computed = None,
        ttl: Optional[int] = None,
        timeout: Optional[float] = None,
        on_pending_approval: Optional[Callable[[PendingApprovalInfo], Any]] = None,
        action_details: Computed = None,
        client: ClientSource = None,
    ) -> None:
        self.action = action
        self.resource = resource
        self.scope = scope
        self.context = context
        self.ttl = ttl
        self.timeout = timeout
        self.on_pending_approval = on_pending_approval
        self.action_details = action_details
        self._client = client
        self._default_client: Optional[AgentOTPClient] = None

    def client(self) -> AgentOTPClient:
        # Resolved at the first call, not at import: a module may be imported before the
        # environment (AGENT_OTP_KEY) is set.
        if isinstance(self._client, AgentOTPClient):
            return self._client
        if callable(self._client):
            return self._client()
        if self._default_client is None:
            self._default_client = AgentOTPClient()
        return self._default_client


def guarded_call(spec: PermissionSpec, arguments: Arguments, run: Callable[[], Any]) -> Any:
    """Requests, waits, spends with the arguments as action details, then ``run()``; see module doc."""
    safe = json_safe(arguments)
    details = _resolve(spec.action_details, arguments) if spec.action_details is not None else safe
    context = dict(_resolve(spec.context, arguments) or {})
    # The approver decides on what will actually be done.
    context.setdefault("arguments", safe)

    def operation(permission: Permission) -> Any:
        token = _current.set(permission)
        try:
            return run()
        finally:
            _current.reset(token)

    return spec.client().execute_with_permission(
        operation,
        _resolve(spec.action, arguments),
        resource=_resolve(spec.resource, arguments),
        scope=_resolve(spec.scope, arguments),
        context=context,
        ttl=spec.ttl,
        timeout=spec.timeout,
        on_pending_approval=spec.on_pending_approval,
        action_details=details,
    )


def requires_permission(
    action: Computed,
    *,
    resource: Computed = None,
    scope: Computed = None,
    context: Computed = None,
    ttl: Optional[int] = None,
    timeout: Optional[float] = None,
    on_pending_approval: Optional[Callable[[PendingApprovalInfo], Any]] = None,
    action_details: Computed = None,
    client: ClientSource = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: each call of the function needs a one-time permission, spent before it runs.

    ``resource``, ``scope``, ``context`` and ``action_details`` may be values or functions of the
    call's arguments (a dict by parameter name). ``action_details`` defaults to the arguments;
    they are also shown to the approver as ``context["arguments"]``. ``client`` defaults to an
    ``AgentOTPClient()`` built from the environment at the first call. Raises
    ``PermissionDeniedError`` / ``PermissionExpiredError`` when not granted and
    ``ScopeViolationError`` (and the other token errors) when the spend is refused; the function
    does not run then. Coroutine functions are supported (the permission calls run in a thread).

    Example::

        @requires_permission("gmail.send", scope={"max_emails": 1, "subject_pattern": "^Invoice"})
        def send_email(to: str, subject: str) -> None: ...
    """
    spec = PermissionSpec(
        action, resource, scope, context, ttl, timeout, on_pending_approval, action_details, client
    )

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def guarded_async(*args: Any, **kwargs: Any) -> Any:
                arguments = call_arguments(fn, args, kwargs)
                permission_box: Dict[str, Permission] = {}

                def spend() -> None:
                    guarded_call(spec, arguments, lambda: permission_box.setdefault("p", _current.get()))

                await asyncio.get_running_loop().run_in_executor(None, spend)
                token = _current.set(permission_box.get("p"))
                try:
                    return await fn(*args, **kwargs)
                finally:
                    _current.reset(token)

            guarded_async.__agent_otp_spec__ = spec  # type: ignore[attr-defined]
            return guarded_async

        @functools.wraps(fn)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            return guarded_call(spec, call_arguments(fn, args, kwargs), lambda: fn(*args, **kwargs))

        guarded.__agent_otp_spec__ = spec  # type: ignore[attr-defined]
        return guarded

    return decorate
