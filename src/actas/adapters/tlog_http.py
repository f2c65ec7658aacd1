"""HTTP for witnessing: a small ``add-checkpoint`` server and a client with time-outs.

The server is the standard library's threading HTTP server: one route, ``POST
<prefix>/add-checkpoint``, whose body goes to a handler that returns status, content
type and body. Request bodies over :data:`MAX_BODY` bytes are refused (413) unread. The
client calls are bounded by a time-out and never raise for an HTTP status: a witness or
log that is down or slow is an answer (:class:`Reply` with status 0), not an error.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from actas.core.errors import InputError

__all__ = ["MAX_BODY", "Reply", "WitnessServer", "get", "post"]

#: Largest request accepted: a signed note (1 MiB) and 63 proof lines.
MAX_BODY = (1 << 20) + 64 * 64
Handler = Callable[[bytes], tuple[int, str, bytes]]


@dataclass(frozen=True)
class Reply:
    status: int  # 0 when there was no HTTP answer (refused, timed out, bad URL)
    content_type: str
    body: bytes
    error: str = ""


class WitnessServer:
    """Serve ``handler`` at ``POST <prefix>/add-checkpoint`` on ``host:port``."""

    def __init__(self, handler: Handler, host: str = "127.0.0.1", port: int = 0,
                 prefix: str = "") -> None:  # fmt: skip
        route = prefix.rstrip("/") + "/add-checkpoint"

        class _Request(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self, status: int, content_type: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                if self.path.split("?", 1)[0] != route:
                    self._answer(404, "text/plain", b"not found: POST " + route.encode() + b"\n")
                    return
                try:
                    length = int(self.headers.get("Content-Length", ""))
                except ValueError:
                    self._answer(411, "text/plain", b"a Content-Length is required\n")
                    return
                if not 0 <= length <= MAX_BODY:
                    self.close_connection = True
                    self._answer(413, "text/plain", b"request body too large\n")
                    return
                self._answer(*handler(self.rfile.read(length)))

            def do_GET(self) -> None:
                self._answer(405, "text/plain", b"use POST " + route.encode() + b"\n")

            def log_message(self, format: str, *args: object) -> None:
                return  # the app reports what it decided; no stderr noise per request

        self.httpd = ThreadingHTTPServer((host, port), _Request)
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def start(self) -> WitnessServer:
        """Serve in a background thread (tests, embedding)."""
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _call(request: urllib.request.Request, timeout: float) -> Reply:
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:  # noqa: S310
            return Reply(resp.status, resp.headers.get("Content-Type", ""), resp.read(MAX_BODY))
    except urllib.error.HTTPError as exc:
        return Reply(exc.code, exc.headers.get("Content-Type", ""), exc.read(MAX_BODY))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return Reply(0, "", b"", f"no answer from {request.full_url}: {reason}")


def _request(url: str, data: bytes | None, method: str) -> urllib.request.Request:
    if not url.startswith(("http://", "https://")):
        raise InputError(f"{url!r} is not an http:// or https:// URL")
    return urllib.request.Request(url, data=data, method=method)  # noqa: S310 (checked above)


def post(url: str, body: bytes, timeout: float) -> Reply:
    """POST ``body`` (text/plain) to ``url`` within ``timeout`` seconds."""
    req = _request(url, body, "POST")
    req.add_header("Content-Type", "text/plain; charset=utf-8")
    return _call(req, timeout)


def get(url: str, timeout: float) -> Reply:
    """GET ``url`` within ``timeout`` seconds."""
    return _call(_request(url, None, "GET"), timeout)
