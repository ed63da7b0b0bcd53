"""Waiting for a human: the SSE path, the long-poll fallback, timeouts, denial and expiry."""

from __future__ import annotations

import threading
import time
import unittest
from typing import List
from unittest import mock

from _server import server  # first: puts the SDK on sys.path
from _proxy import RecordingProxy
from agent_otp import (
    AgentOTPClient,
    AgentOTPError,
    PendingApprovalInfo,
    PermissionExpiredError,
    TimeoutError,
    requires_permission,
)


def approve_later(decision: str = "approve", delay: float = 0.5, body: dict = None):  # type: ignore[assignment]
    """An on_pending_approval callback that has a human decide from another thread after `delay`
    (long enough for the client to be waiting by then). Collects each call's HTTP status."""
    statuses: List[int] = []
    seen: List[PendingApprovalInfo] = []
    threads: List[threading.Thread] = []

    def callback(info: PendingApprovalInfo) -> None:
        seen.append(info)

        def decide() -> None:
            time.sleep(delay)
            statuses.append(server().human(info.id, decision, body)[0])

        thread = threading.Thread(target=decide, daemon=True)
        threads.append(thread)
        thread.start()

    callback.threads = threads  # type: ignore[attr-defined]
    callback.statuses = statuses  # type: ignore[attr-defined]
    callback.seen = seen  # type: ignore[attr-defined]
    return callback


class WaitTest(unittest.TestCase):
    def client_via(self, block_events: bool):
        proxy = RecordingProxy(server().port, block_events=block_events)
        self.addCleanup(proxy.close)
        return AgentOTPClient(api_key=server().api_key, base_url=proxy.url), proxy

    def test_sse_path_delivers_the_human_approval_with_the_token(self) -> None:
        otp, proxy = self.client_via(block_events=False)
        callback = approve_later()
        started = time.monotonic()
        permission = otp.request_permission(
            "bank.transfer", scope={"max_amount": 100}, wait_for_approval=True, timeout=20, on_pending_approval=callback
        )
        self.assertEqual(permission.status, "approved")
        self.assertTrue(permission.token and permission.token.startswith("otp_"))
        self.assertLess(time.monotonic() - started, 5)
        callback.threads[0].join(5)  # the decision may reach the agent before the approver's answer
        self.assertEqual(callback.statuses, [200])
        self.assertTrue(callback.seen[0].approval_url.startswith("http"))
        paths = proxy.paths()
        self.assertTrue(any(p.endswith("/events") for p in paths), paths)
        self.assertFalse(any("wait=" in p for p in paths), f"the long-poll was used: {paths}")
        self.assertTrue(otp.use_token(permission.id, permission.token, {"amount": 50}).success)

    def test_sse_directly_from_the_server(self) -> None:
        # No proxy: the server's own chunked stream, with the long-poll made unusable.
        import agent_otp._waiting

        otp = AgentOTPClient(api_key=server().api_key, base_url=server().url)
        with mock.patch.object(agent_otp._waiting, "_long_poll", side_effect=AssertionError("long-poll used")):
            permission = otp.request_permission(
                "bank.transfer", wait_for_approval=True, timeout=20, on_pending_approval=approve_later()
            )
        self.assertEqual(permission.status, "approved")
        self.assertTrue(permission.token)

    def test_long_poll_fallback_when_the_stream_is_refused(self) -> None:
        otp, proxy = self.client_via(block_events=True)
        permission = otp.request_permission(
            "bank.transfer", wait_for_approval=True, timeout=20, on_pending_approval=approve_later()
        )
        self.assertEqual(permission.status, "approved")
        self.assertTrue(permission.token)
        paths = proxy.paths()
        self.assertTrue(any(p.endswith("/events") for p in paths), paths)
        self.assertTrue(any("wait=" in p for p in paths), f"no long-poll: {paths}")
        self.assertTrue(otp.use_token(permission.id, permission.token).success)

    def test_human_denial_is_a_value(self) -> None:
        otp, _ = self.client_via(block_events=False)
        permission = otp.request_permission(
            "bank.transfer", wait_for_approval=True, timeout=20, on_pending_approval=approve_later("deny", body={"reason": "no"})
        )
        self.assertEqual(permission.status, "denied")
        self.assertIsNone(permission.token)

    def test_without_waiting_a_pending_request_is_returned(self) -> None:
        otp, _ = self.client_via(block_events=False)
        pending = otp.request_permission("bank.transfer")
        self.assertEqual(pending.status, "pending")
        self.assertTrue(pending.approval_url and pending.events_url)
        self.assertEqual(server().human(pending.id, "approve")[0], 200)
        final = otp.wait_for_decision(pending.id, timeout=10)
        self.assertEqual(final.status, "approved")
        self.assertTrue(final.token)

    def test_timeout_raises_and_cancels_the_request(self) -> None:
        otp, _ = self.client_via(block_events=False)
        seen: List[PendingApprovalInfo] = []
        started = time.monotonic()
        with self.assertRaises(TimeoutError):
            otp.request_permission("bank.transfer", wait_for_approval=True, timeout=1, on_pending_approval=seen.append)
        self.assertLess(time.monotonic() - started, 4)
        self.assertEqual(otp.get_permission(seen[0].id).status, "cancelled")

    def test_a_token_taken_by_another_reader_is_not_waited_for(self) -> None:
        otp, _ = self.client_via(block_events=True)
        pending = otp.request_permission("bank.transfer")
        server().human(pending.id, "approve")
        self.assertTrue(otp.get_permission(pending.id).token)  # this read took the token
        with self.assertRaises(AgentOTPError) as caught:
            otp.wait_for_decision(pending.id, timeout=10)
        self.assertEqual(caught.exception.code, "TOKEN_NOT_DELIVERED")

    def test_expiry_before_a_decision(self) -> None:
        # The rule's approval deadline is 10 s (the shortest a policy allows), so the value and
        # the decorator's error are checked side by side, in one wait.
        otp, _ = self.client_via(block_events=False)
        ran: List[int] = []
        raised: List[BaseException] = []

        @requires_permission("slow.transfer", timeout=30, client=otp)
        def transfer(amount: int) -> None:
            ran.append(amount)

        def call_decorated() -> None:
            try:
                transfer(1)
            except BaseException as error:  # noqa: BLE001
                raised.append(error)

        worker = threading.Thread(target=call_decorated)
        worker.start()
        permission = otp.request_permission("slow.approval", wait_for_approval=True, timeout=30)
        worker.join(30)
        self.assertEqual(permission.status, "expired")
        self.assertIsNone(permission.token)
        self.assertEqual(len(raised), 1)
        self.assertIsInstance(raised[0], PermissionExpiredError)
        self.assertEqual(ran, [])


if __name__ == "__main__":
    unittest.main()
