"""CrewAI: put a CrewAI tool behind a one-time permission.

Written against CrewAI's documented custom-tool interface (``crewai.tools.BaseTool``: a
pydantic model with ``name``, ``description``, ``args_schema`` and ``_run(**kwargs)``; ``run``
calls ``_run``). ``crewai`` is imported only when a wrapper is called. Every call goes through
``agent_otp.decorators.guarded_call``: request, wait, spend the token with the tool's arguments
as ``action_details``, then run the original tool -- or raise and run nothing.

Example::

    from crewai_tools import FileWriterTool
    from agent_otp.integrations.crewai import protect_tool

    writer = protect_tool(FileWriterTool(), action="file.write", scope={"allowed_extensions": [".md"]})
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from ..decorators import ClientSource, Computed, PermissionSpec, guarded_call


def _crewai_base_tool() -> Any:
    try:
        from crewai.tools import BaseTool
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError("agent_otp.integrations.crewai needs CrewAI: pip install crewai") from error
    return BaseTool


def protect_tool(
    tool: Any,
    *,
    action: Optional[Computed] = None,
    resource: Computed = None,
    scope: Computed = None,
    context: Computed = None,
    ttl: Optional[int] = None,
    timeout: Optional[float] = None,
    on_pending_approval: Optional[Callable[..., Any]] = None,
    action_details: Computed = None,
    client: ClientSource = None,
) -> Any:
    """A CrewAI tool with the same name, description and argument schema as ``tool`` whose every
    call needs a one-time permission (action default ``crewai.<tool name>``)."""
    base_tool = _crewai_base_tool()
    spec = PermissionSpec(
        action or f"crewai.{tool.name}",
        resource,
        scope,
        context,
        ttl,
        timeout,
        on_pending_approval,
        action_details,
        client,
    )

    class PermissionGuardedTool(base_tool):  # type: ignore[misc, valid-type]
        def _run(self, **kwargs: Any) -> Any:
            return guarded_call(spec, kwargs, lambda: tool.run(**kwargs))

    guarded = PermissionGuardedTool(name=tool.name, description=tool.description, args_schema=tool.args_schema)
    return guarded
