"""A scripted HTTP server on 127.0.0.1 standing in for the X and Reddit APIs in listener and pipeline tests."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    """One scripted answer: status, JSON body (or raw text), headers."""

    body: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Seen:
    """One request the server received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


class FakeApi:
    """Routes by path; each route answers its scripted replies in order, repeating the last one."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.handlers: dict[str, Callable[[dict[str, list[str]]], Reply]] = {}
        self.requests: list[Seen] = []
        self.url = ""

    def script(self, path: str, *replies: Reply) -> None:
        """Set the replies for `path` (the last one repeats)."""
        self.routes[path] = list(replies)

    def handle(self, path: str, handler: Callable[[dict[str, list[str]]], Reply]) -> None:
        """Answer `path` with `handler(query)`: for fakes that honour since_id, cursors and the like."""
        self.handlers[path] = handler

    def calls(self, path: str) -> list[Seen]:
        """Requests received for `path`."""
        return [seen for seen in self.requests if seen.path == path]

    def answer(self, method: str, raw_path: str, headers: dict[str, str]) -> Reply:
        parts = urlsplit(raw_path)
        self.requests.append(Seen(method, parts.path, parse_qs(parts.query), headers))
        if parts.path in self.handlers:
            return self.handlers[parts.path](parse_qs(parts.query))
        replies = self.routes.get(parts.path)
        if not replies:
            return Reply({"error": f"no route for {parts.path}"}, status=404)
        return replies.pop(0) if len(replies) > 1 else replies[0]


@contextmanager
def fake_api() -> Iterator[FakeApi]:
    """Serve a FakeApi on 127.0.0.1 (an ephemeral port) for the duration of the block."""
    api = FakeApi()

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            reply = api.answer(self.command, self.path, {k.lower(): v for k, v in self.headers.items()})
            body = reply.body if isinstance(reply.body, str | bytes) else json.dumps(reply.body)
            data = body.encode() if isinstance(body, str) else body
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _handle  # http.server's naming

        def log_message(self, format: str, *args: Any) -> None:  # http.server's signature
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
