"""A small HTTP proxy in front of the test server that records every request and can refuse the
event stream, as a buffering or restrictive proxy would, to drive the SDK onto its long-poll."""

from __future__ import annotations

import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import List, Tuple

HOP_BY_HOP = {"connection", "transfer-encoding", "keep-alive", "content-length"}


class RecordingProxy:
    def __init__(self, upstream_port: int, block_events: bool) -> None:
        self.requests: List[Tuple[str, str]] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # the body ends when the connection closes: streams pass

            def log_message(self, *args: object) -> None:
                pass

            def _forward(self) -> None:
                proxy.requests.append((self.command, self.path))
                if block_events and self.path.split("?")[0].endswith("/events"):
                    page = b"<html>502 Bad Gateway</html>"
                    self.send_response(502)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(page)))
                    self.end_headers()
                    self.wfile.write(page)
                    return
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                upstream = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=120)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                upstream.request(self.command, self.path, body=body, headers=headers)
                response = upstream.getresponse()
                self.send_response(response.status)
                for key, value in response.getheaders():
                    if key.lower() not in HOP_BY_HOP:
                        self.send_header(key, value)
                self.end_headers()
                try:
                    while True:
                        chunk = response.read1(65536)
                        if not chunk:
                            break
                        self.wfile.write(chunk)
                        self.wfile.flush()
                except (OSError, http.client.HTTPException):
                    pass  # either side closed the stream
                finally:
                    upstream.close()

            do_GET = _forward
            do_POST = _forward

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def paths(self) -> List[str]:
        return [path for _, path in self.requests]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
