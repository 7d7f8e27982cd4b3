"""A real HTTP server on 127.0.0.1 for the credential-free channel tests: scripted responses, recorded requests."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).resolve().parents[1] / "listeners" / "fixtures" / "free_channels"


@dataclass
class Reply:
    """One scripted response."""

    status: int = 200
    body: bytes | str | Any = b""
    headers: dict[str, str] = field(default_factory=dict)

    def payload(self) -> bytes:
        """The body as bytes (objects become JSON)."""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


@dataclass
class Seen:
    """One request the server received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


Handler = Callable[[Seen], Reply]


class FakeApi:
    """Routes `path → handler`, or `path → list of replies` served in turn (the last one repeats)."""

    def __init__(self) -> None:
        self.routes: dict[str, Handler | list[Reply]] = {}
        self.requests: list[Seen] = []
        self.url = ""

    def route(self, path: str, handler: Handler | list[Reply] | Reply) -> None:
        """Answer requests for `path` (without the query string)."""
        self.routes[path] = [handler] if isinstance(handler, Reply) else handler

    def answer(self, seen: Seen) -> Reply:
        """The reply for one request."""
        self.requests.append(seen)
        handler = self.routes.get(seen.path)
        if handler is None:
            return Reply(404, {"error": "not found"})
        if callable(handler):
            return handler(seen)
        return handler.pop(0) if len(handler) > 1 else handler[0]

    def paths(self) -> list[str]:
        """The paths requested, in order."""
        return [seen.path for seen in self.requests]


def fixture(name: str) -> bytes:
    """A synthetic fixture file's bytes."""
    return (FIXTURES / name).read_bytes()


def fixture_json(name: str) -> Any:
    """A synthetic fixture file parsed as JSON."""
    return json.loads(fixture(name))


@contextmanager
def serve(api: FakeApi) -> Iterator[FakeApi]:
    """Run `api` on a free port of 127.0.0.1 in a thread; `api.url` is its base URL."""

    class _Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            seen = Seen(
                self.command,
                parts.path,
                parse_qs(parts.query, keep_blank_values=True),
                {k.lower(): v for k, v in self.headers.items()},
                self.rfile.read(length) if length else b"",
            )
            reply = api.answer(seen)
            body = reply.payload()
            self.send_response(reply.status)
            headers = {"Content-Type": "application/json", **reply.headers}
            for key, value in headers.items():
                self.send_header(key, value.replace("{base}", api.url))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _any

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
