"""The HTTP layer: one JSON call with auth, a per-attempt timeout, the success/error envelope, and
retries. Standard library only (urllib / http.client).

When a failed attempt may be repeated (as in the TypeScript SDK): repeating is only harmless when
doing it twice means the same as doing it once. Reads (GET, verify) are repeated on network errors
and 5xx (``retry="safe"``). ``request`` (a second prompt to a human), ``use`` (a second spent use)
and ``revoke`` are repeated only when the connection could not even be opened
(``retry="connect-only"``): after a 5xx, a timeout or a dropped connection the server may already
have acted. 4xx and 429 are never repeated.
"""

from __future__ import annotations

import builtins
import errno
import http.client
import json
import random
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, Optional

from .errors import AgentOTPError, NetworkError, ServerError, TimeoutError, error_from_response

# Socket errors that mean no connection was made, so no byte of the request reached a server.
# ECONNRESET and ETIMEDOUT are absent on purpose: they also happen after the request was written.
_CONNECT_ERRNOS = {
    errno.ECONNREFUSED,
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
    errno.EADDRNOTAVAIL,
}


def _failed_before_sending(error: BaseException) -> bool:
    reason = error.reason if isinstance(error, urllib.error.URLError) else error
    if isinstance(reason, socket.gaierror):  # the name did not resolve
        return True
    return isinstance(reason, OSError) and reason.errno in _CONNECT_ERRNOS


def backoff_delay(attempt: int) -> float:
    """Exponential backoff with jitter, in seconds: 0.125-0.25, 0.25-0.5, ... at most 4."""
    ceiling = min(4.0, 0.25 * 2**attempt)
    return ceiling / 2 + random.random() * ceiling / 2


class _Retryable(Exception):
    def __init__(self, error: AgentOTPError, retryable: bool) -> None:
        super().__init__(str(error))
        self.error = error
        self.retryable = retryable


class Transport:
    def __init__(self, base_url: str, api_key: str, timeout: float, max_retries: int, user_agent: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.root = f"{self.base_url}/api/v1"
        self._api_key = api_key
        self.timeout = timeout
        self.max_retries = max_retries
        self.user_agent = user_agent

    def url_for(self, path: str, query: Optional[Dict[str, Any]] = None) -> str:
        params = {k: str(v) for k, v in (query or {}).items() if v is not None}
        search = urllib.parse.urlencode(params)
        return f"{self.root}{path}{'?' + search if search else ''}"

    def headers_for(self, accept: str) -> Dict[str, str]:
        return {"Authorization": f"Bearer {self._api_key}", "Accept": accept, "User-Agent": self.user_agent}

    def send(
        self,
        method: str,
        path: str,
        *,
        retry: str,
        query: Optional[Dict[str, Any]] = None,
        body: Any = None,
        extra_timeout: float = 0.0,
    ) -> Dict[str, Any]:
        """Performs the call, repeating retryable failures; returns the whole success envelope."""
        retries = 0
        while True:
            try:
                return self._attempt(method, path, retry, query, body, extra_timeout)
            except _Retryable as failed:
                if not failed.retryable or retries >= self.max_retries:
                    raise failed.error from failed.error.__cause__
            time.sleep(backoff_delay(retries))
            retries += 1

    def _attempt(
        self, method: str, path: str, retry: str, query: Any, body: Any, extra_timeout: float
    ) -> Dict[str, Any]:
        headers = self.headers_for("application/json")
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode("utf-8")
        request = urllib.request.Request(self.url_for(path, query), data=data, headers=headers, method=method)
        where = f"{method} {path}"
        try:
            with urllib.request.urlopen(request, timeout=self.timeout + extra_timeout) as response:
                return self._interpret(response.status, response.headers, response.read(), where)
        except urllib.error.HTTPError as failed:
            with failed:
                raw = failed.read()
            error = self._failure(failed.code, failed.headers, raw)
            raise _Retryable(error, failed.code >= 500 and retry == "safe") from None
        except (socket.timeout, builtins.TimeoutError) as cause:
            error = TimeoutError(f"{where} got no answer within {self.timeout + extra_timeout} s")
            error.__cause__ = cause
            raise _Retryable(error, retry == "safe") from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as cause:
            reason = getattr(cause, "reason", cause)
            if isinstance(reason, socket.timeout):
                error: AgentOTPError = TimeoutError(f"{where} got no answer within {self.timeout} s")
            else:
                error = NetworkError(f"{where} failed: {reason} ({self.base_url})")
            error.__cause__ = cause
            raise _Retryable(error, retry == "safe" or _failed_before_sending(cause)) from None

    @staticmethod
    def _parse(raw: bytes) -> Any:
        try:
            return json.loads(raw.decode("utf-8")) if raw else None
        except ValueError:
            return None

    def _interpret(self, status: int, headers: Any, raw: bytes, where: str) -> Dict[str, Any]:
        body = self._parse(raw)
        if isinstance(body, dict) and body.get("success") is True:
            return body
        # A 2xx that is not our envelope: a proxy or a different service answered at base_url.
        error = ServerError(
            "UNEXPECTED_RESPONSE",
            f"{where}: not an Agent OTP response",
            status=status,
            request_id=headers.get("x-request-id"),
        )
        raise _Retryable(error, False)

    def _failure(self, status: int, headers: Any, raw: bytes) -> AgentOTPError:
        lowered = {k.lower(): v for k, v in headers.items()} if headers else {}
        return error_from_response(status, lowered, self._parse(raw))

    def open_stream(self, path: str, timeout: float) -> http.client.HTTPResponse:
        """Opens a GET whose body streams (Server-Sent Events) and returns the response once its
        headers arrive, whatever its status; the caller decides what it can use and must close
        it. ``timeout`` bounds each socket read. Never retried: the caller has another way to wait.
        """
        url = urllib.parse.urlsplit(self.url_for(path))
        conn_class = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
        conn = conn_class(url.hostname or "localhost", url.port, timeout=timeout)
        headers = self.headers_for("text/event-stream")
        headers["Cache-Control"] = "no-cache"
        try:
            conn.request("GET", url.path + (f"?{url.query}" if url.query else ""), headers=headers)
            response = conn.getresponse()
        except BaseException:
            conn.close()
            raise
        response._agent_otp_conn = conn  # type: ignore[attr-defined]  # closed with the response
        return response
