"""requires_permission: spends the token with the call's arguments before running the function,
runs it once, and never runs it when the permission is not granted or the spend is refused."""

from __future__ import annotations

import asyncio
import threading
import unittest
from typing import List

from _server import server  # first: puts the SDK on sys.path
from agent_otp import (
    AgentOTPClient,
    PendingApprovalInfo,
    PermissionDeniedError,
    ScopeViolationError,
    TokenUsedError,
    current_permission,
    requires_permission,
)


class DecoratorTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.otp = AgentOTPClient(api_key=server().api_key, base_url=server().url)

    def setUp(self) -> None:
        self.calls: List[dict] = []

    def test_runs_once_after_spending_the_token_with_the_arguments(self) -> None:
        @requires_permission(
            "gmail.send",
            resource=lambda args: f"email:{args['to']}",
            scope={"max_emails": 1, "subject_pattern": "^Invoice"},
            client=self.otp,
        )
        def send_email(to: str, subject: str, body: str = "") -> str:
            permission = current_permission()
            self.calls.append({"to": to, "subject": subject, "permission": permission})
            return f"sent {subject}"

        self.assertEqual(send_email("client@example.com", subject="Invoice #123"), "sent Invoice #123")
        self.assertEqual(len(self.calls), 1)
        permission = self.calls[0]["permission"]
        view = self.otp.get_permission(permission.id)
        # Spent before the function ran, and the request carried the call's arguments.
        self.assertEqual(view.status, "used")
        self.assertEqual(view.resource, "email:client@example.com")
        self.assertEqual(view.context["arguments"], {"to": "client@example.com", "subject": "Invoice #123", "body": ""})
        with self.assertRaises(TokenUsedError):
            self.otp.use_token(permission.id, permission.token)
        self.assertIsNone(current_permission())

    def test_out_of_scope_arguments_never_run_and_spend_nothing(self) -> None:
        @requires_permission("gmail.send", scope={"subject_pattern": "^Invoice"}, client=self.otp)
        def send_email(to: str, subject: str) -> None:
            self.calls.append({"subject": subject})

        with self.assertRaises(ScopeViolationError) as caught:
            send_email("client@example.com", "Hello there")
        self.assertEqual(self.calls, [])
        self.assertEqual(caught.exception.constraint, "subject_pattern")
        newest = self.otp.list_permissions(action="gmail.send", limit=1)["data"][0]
        self.assertEqual((newest.status, newest.uses_remaining), ("approved", 1))

    def test_denied_by_policy_never_runs(self) -> None:
        @requires_permission("db.drop", client=self.otp)
        def drop(table: str) -> None:
            self.calls.append({"table": table})

        with self.assertRaises(PermissionDeniedError) as caught:
            drop("users")
        self.assertEqual(self.calls, [])
        self.assertEqual(caught.exception.details["status"], "denied")

    def test_waits_for_a_human_then_runs_once(self) -> None:
        def approve_soon(info: PendingApprovalInfo) -> None:
            threading.Timer(0.3, server().human, (info.id, "approve")).start()

        @requires_permission("bank.transfer", scope={"max_amount": 100}, timeout=20, on_pending_approval=approve_soon, client=self.otp)
        def transfer(amount: int) -> int:
            self.calls.append({"amount": amount})
            return amount

        self.assertEqual(transfer(50), 50)
        self.assertEqual(self.calls, [{"amount": 50}])

    def test_human_denial_never_runs(self) -> None:
        def deny_soon(info: PendingApprovalInfo) -> None:
            threading.Timer(0.3, server().human, (info.id, "deny", {"reason": "not today"})).start()

        @requires_permission("bank.transfer", timeout=20, on_pending_approval=deny_soon, client=self.otp)
        def transfer(amount: int) -> None:
            self.calls.append({"amount": amount})

        with self.assertRaises(PermissionDeniedError):
            transfer(50)
        self.assertEqual(self.calls, [])

    def test_coroutine_functions(self) -> None:
        @requires_permission("file.read", resource=lambda args: f"file:{args['path']}", client=self.otp)
        async def read(path: str) -> str:
            self.calls.append({"path": path, "permission": current_permission()})
            return "content"

        self.assertEqual(asyncio.run(read("/tmp/notes.md")), "content")
        self.assertEqual(len(self.calls), 1)
        self.assertEqual(self.otp.get_permission(self.calls[0]["permission"].id).uses_remaining, 1)

        @requires_permission("db.drop", client=self.otp)
        async def drop() -> None:
            self.calls.append({})

        with self.assertRaises(PermissionDeniedError):
            asyncio.run(drop())
        self.assertEqual(len(self.calls), 1)


if __name__ == "__main__":
    unittest.main()
