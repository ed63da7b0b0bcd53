"""The LangChain and CrewAI wrappers, through their tool invocation path.

Neither framework can be installed where these tests usually run (no package index), so when it is
missing a stand-in module with the documented surface the wrapper uses is put in its place:
``langchain_core.tools.StructuredTool.from_function(...).invoke(dict)`` and
``crewai.tools.BaseTool(name=, description=, args_schema=).run(**kwargs)`` calling ``_run``. With
the real library installed, the same tests run against it. What they check is the wrapper's
wiring onto ``guarded_call`` (the decorator core, tested in test_decorator), against the real
server: one permission per call, spent with the tool's arguments before the tool runs, and the
tool never runs when the permission is not granted.
"""

from __future__ import annotations

import importlib
import sys
import types
import unittest
from typing import Any, List

from _server import server  # first: puts the SDK on sys.path
from agent_otp import AgentOTPClient, PermissionDeniedError


def _stand_in_langchain() -> None:
    class StructuredTool:
        def __init__(self, func: Any, name: str, description: str, args_schema: Any, return_direct: bool) -> None:
            self.func, self.name, self.description, self.args_schema = func, name, description, args_schema

        @classmethod
        def from_function(cls, func: Any, name: str, description: str, args_schema: Any = None, return_direct: bool = False) -> "StructuredTool":
            return cls(func, name, description, args_schema, return_direct)

        def invoke(self, tool_input: dict) -> Any:
            return self.func(**tool_input)

    package = types.ModuleType("langchain_core")
    tools = types.ModuleType("langchain_core.tools")
    tools.StructuredTool = StructuredTool  # type: ignore[attr-defined]
    package.tools = tools  # type: ignore[attr-defined]
    sys.modules.update({"langchain_core": package, "langchain_core.tools": tools})


def _stand_in_crewai() -> None:
    class BaseTool:
        def __init__(self, name: str, description: str, args_schema: Any = None) -> None:
            self.name, self.description, self.args_schema = name, description, args_schema

        def run(self, **kwargs: Any) -> Any:
            return self._run(**kwargs)

    package = types.ModuleType("crewai")
    tools = types.ModuleType("crewai.tools")
    tools.BaseTool = BaseTool  # type: ignore[attr-defined]
    package.tools = tools  # type: ignore[attr-defined]
    sys.modules.update({"crewai": package, "crewai.tools": tools})


def _available(module: str) -> bool:
    try:
        importlib.import_module(module)
        return True
    except ImportError:
        return False


class RecordingTool:
    """The framework tool being protected: records each time it actually runs."""

    def __init__(self, name: str) -> None:
        self.name, self.description, self.args_schema, self.return_direct = name, f"{name} tool", None, False
        self.runs: List[dict] = []

    def invoke(self, tool_input: dict) -> str:  # LangChain's entry point
        self.runs.append(dict(tool_input))
        return "done"

    def run(self, **kwargs: Any) -> str:  # CrewAI's entry point
        self.runs.append(dict(kwargs))
        return "done"


class IntegrationsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        before = set(sys.modules)
        if not _available("langchain_core.tools"):
            _stand_in_langchain()
        if not _available("crewai.tools"):
            _stand_in_crewai()
        cls.stand_ins = {m for m in set(sys.modules) - before if m.split(".")[0] in ("langchain_core", "crewai")}
        cls.otp = AgentOTPClient(api_key=server().api_key, base_url=server().url)

    @classmethod
    def tearDownClass(cls) -> None:
        for name in cls.stand_ins:
            sys.modules.pop(name, None)

    def check(self, protect: Any, invoke: Any, prefix: str) -> None:
        tool = RecordingTool("search_files")
        guarded = protect(tool, client=self.otp, scope={"max_uses": 1})
        self.assertEqual(guarded.name, "search_files")
        self.assertEqual(invoke(guarded, {"query": "invoices", "limit": 3}), "done")
        self.assertEqual(tool.runs, [{"query": "invoices", "limit": 3}])
        newest = self.otp.list_permissions(action=f"{prefix}.search_files", limit=1)["data"][0]
        self.assertEqual(newest.status, "used")
        self.assertEqual(newest.context["arguments"], {"query": "invoices", "limit": 3})

        denied = protect(tool, client=self.otp, action="db.drop")
        with self.assertRaises(PermissionDeniedError):
            invoke(denied, {"query": "everything"})
        self.assertEqual(len(tool.runs), 1)

    def test_langchain_tool(self) -> None:
        from agent_otp.integrations.langchain import protect_tool

        self.check(protect_tool, lambda t, args: t.invoke(args), "langchain")

    def test_crewai_tool(self) -> None:
        from agent_otp.integrations.crewai import protect_tool

        self.check(protect_tool, lambda t, args: t.run(**args), "crewai")

    def test_importing_the_sdk_does_not_import_the_frameworks(self) -> None:
        import subprocess

        code = "import sys, agent_otp, agent_otp.integrations.langchain, agent_otp.integrations.crewai; " \
            "print(any(m.split('.')[0] in ('langchain_core', 'crewai') for m in sys.modules))"
        from _server import SDK

        done = subprocess.run([sys.executable, "-c", code], cwd=SDK, capture_output=True, text=True, check=True)
        self.assertEqual(done.stdout.strip(), "False")


if __name__ == "__main__":
    unittest.main()
