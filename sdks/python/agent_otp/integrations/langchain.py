"""LangChain: put a LangChain tool behind a one-time permission.

Written against LangChain's documented tool interface (``langchain_core.tools``: ``BaseTool``
with ``name``, ``description``, ``args_schema`` and ``invoke``; ``StructuredTool.from_function``).
``langchain_core`` is imported only when a wrapper is called. Every call of the returned tool
goes through ``agent_otp.decorators.guarded_call``: request, wait, spend the token with the
tool's input as ``action_details``, then run the original tool -- or raise and run nothing.

Example::

    from langchain_community.tools import ShellTool
    from agent_otp.integrations.langchain import protect_tool

    shell = protect_tool(ShellTool(), action="shell.exec", resource=lambda args: f"shell:{args['commands']}")
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from ..decorators import ClientSource, Computed, PermissionSpec, guarded_call


def _langchain_tools() -> Any:
    try:
        from langchain_core import tools
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(
            "agent_otp.integrations.langchain needs LangChain: pip install langchain-core"
        ) from error
    return tools


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
    """A ``StructuredTool`` with the same name, description and input schema as ``tool`` whose
    every call needs a one-time permission (action default ``langchain.<tool name>``)."""
    tools = _langchain_tools()
    spec = PermissionSpec(
        action or f"langchain.{tool.name}",
        resource,
        scope,
        context,
        ttl,
        timeout,
        on_pending_approval,
        action_details,
        client,
    )

    def run(**kwargs: Any) -> Any:
        return guarded_call(spec, kwargs, lambda: tool.invoke(kwargs))

    # The original's input schema, so the model sees the same arguments; a tool without an
    # explicit one (a single-string `Tool`) still has the schema LangChain derives for it.
    schema = getattr(tool, "args_schema", None)
    if schema is None and hasattr(tool, "get_input_schema"):
        schema = tool.get_input_schema()
    return tools.StructuredTool.from_function(
        func=run,
        name=tool.name,
        description=tool.description,
        args_schema=schema,
        return_direct=getattr(tool, "return_direct", False),
    )
