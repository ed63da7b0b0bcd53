"""How the SDK waits for a human decision, as the TypeScript SDK does.

The primary path is the permission's Server-Sent Events stream: the server pushes the decision the
moment it is made. Whenever the stream cannot give the answer -- it cannot be opened, it is not
``200 text/event-stream`` (an older server, a proxy's error page), it ends or stays silent for 45 s
while the request is pending, or it sends something unreadable -- the wait goes on by long-polling
``GET /permissions/:id?wait=25``, whose first read is a plain GET. That read matters after a drop:
the server hands a human-approved token out on the first read of any kind, so if the dropped
stream had already carried it, the GET sees ``approved`` without a token and the caller gets
``TOKEN_NOT_DELIVERED`` rather than waiting forever for a token no one will send again.

Every wait runs against one deadline (``timeout`` seconds, or none), checked before each blocking
read and used as that read's socket timeout, so neither path can overrun it by more than a read.
"""

from __future__ import annotations

import http.client
import json
import math
import socket
import time
from typing import Callable, Optional

from ._transport import Transport
from .errors import TimeoutError
from .models import Permission, from_view

#: Longest silence on an open stream before it counts as dropped: the server sends a comment
#: every 15 s, so 45 s is three missed keep-alives (a connection a NAT or proxy forgot).
IDLE_TIMEOUT = 45.0
#: Longest hold asked of the server; below common proxy idle timeouts (30-60 s).
POLL_WAIT_SECONDS = 25
#: Least time between two reads when the server answers at once, doubling up to the maximum.
MIN_INTERVAL, MAX_INTERVAL = 1.0, 5.0


class _Deadline:
    def __init__(self, permission_id: str, timeout: Optional[float]) -> None:
        self.id = permission_id
        self.timeout = timeout
        self.at = None if timeout is None else time.monotonic() + timeout

    def remaining(self) -> Optional[float]:
        """Seconds left, or None without a deadline. Raises TimeoutError once it has passed."""
        if self.at is None:
            return None
        left = self.at - time.monotonic()
        if left <= 0:
            raise self.expired()
        return left

    def expired(self) -> TimeoutError:
        return TimeoutError(
            f"no decision on permission {self.id} within {self.timeout} s", details={"permissionId": self.id}
        )

    def cap(self, seconds: float) -> float:
        left = self.remaining()
        return seconds if left is None else min(seconds, left)


def wait_for_decision(transport: Transport, permission_id: str, timeout: Optional[float]) -> Permission:
    """The first non-pending state of the permission (which may carry the token)."""
    deadline = _Deadline(permission_id, timeout)
    decided = _from_stream(transport, permission_id, deadline)
    if decided is not None:
        return decided
    return _long_poll(transport, permission_id, deadline)


def _path(permission_id: str, suffix: str = "") -> str:
    from urllib.parse import quote

    return f"/permissions/{quote(permission_id, safe='')}{suffix}"


def _from_stream(transport: Transport, permission_id: str, deadline: _Deadline) -> Optional[Permission]:
    """The decision the stream reports, or None when it ended or failed without one."""
    try:
        response = transport.open_stream(_path(permission_id, "/events"), deadline.cap(transport.timeout))
    except (OSError, ValueError, http.client.HTTPException):
        deadline.remaining()  # a timeout that was the deadline's is the caller's error
        return None
    conn = response._agent_otp_conn  # type: ignore[attr-defined]
    sock = conn.sock
    try:
        content_type = response.getheader("content-type") or ""
        if response.status != 200 or not content_type.startswith("text/event-stream"):
            return None
        event, data = "", []  # type: str, list
        while True:
            if sock is not None:
                sock.settimeout(deadline.cap(IDLE_TIMEOUT))
            try:
                line = response.readline()
            except socket.timeout:
                deadline.remaining()  # raises when it was the deadline, not the idle timer
                return None
            if not line:
                return None  # the stream ended while pending
            text = line.decode("utf-8").rstrip("\r\n")
            if text == "":
                if event == "permission" and data:
                    view = from_view(json.loads("\n".join(data)))
                    if view.id == permission_id and view.status != "pending":
                        return view
                event, data = "", []
            elif text.startswith(":"):
                continue  # a keep-alive comment
            else:
                name, _, value = text.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if name == "event":
                    event = value
                elif name == "data":
                    data.append(value)
    except TimeoutError:
        raise
    except Exception:  # noqa: BLE001 - a dropped connection or an unreadable event: poll instead
        deadline.remaining()
        return None
    finally:
        # The server keeps the stream open after an approval (until the token is used or
        # expires), so it is closed here however the wait ends.
        response.close()
        conn.close()


def _long_poll(transport: Transport, permission_id: str, deadline: _Deadline) -> Permission:
    interval = MIN_INTERVAL
    read: Callable[[int], Permission] = lambda wait: from_view(  # noqa: E731
        transport.send(
            "GET", _path(permission_id), retry="safe", query={"wait": wait}, extra_timeout=float(wait)
        ).get("data")
    )
    while True:
        left = deadline.remaining()
        wait = POLL_WAIT_SECONDS if left is None else max(0, min(POLL_WAIT_SECONDS, math.floor(left)))
        started = time.monotonic()
        view = read(wait)
        if view.status != "pending":
            return view
        held = time.monotonic() - started
        if held < interval:
            # A server that answers at once (one that ignores `wait`) must not be hammered.
            time.sleep(deadline.cap(interval - held))
            interval = min(interval * 2, MAX_INTERVAL)
        else:
            interval = MIN_INTERVAL
