"""A real webhook receiver on 127.0.0.1 (http.server in a thread) that checks signatures."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from service.integrations.webhooks import verify_signature


@dataclass
class Receiver:
    """What the receiving server saw. ``fail_first``: answer 500 to each event's first try."""

    secret: str = ""
    fail_first: bool = True
    always_fail: bool = False
    url: str = ""
    attempts: list[tuple[str, int]] = field(default_factory=list)  # (event id, status sent)
    events: dict[str, dict[str, Any]] = field(default_factory=dict)  # verified, by event id
    raw_bodies: list[bytes] = field(default_factory=list)
    signed: list[tuple[str, bytes]] = field(default_factory=list)  # (Triage-Signature, body)
    bad_signatures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, headers: Any, body: bytes) -> int:
        """Verify, count, decide the status code to answer."""
        event_id = headers.get("Triage-Event-Id", "")
        with self.lock:
            self.raw_bodies.append(body)
            self.signed.append((headers.get("Triage-Signature", ""), body))
            if not verify_signature(self.secret, headers.get("Triage-Signature", ""), body):
                self.bad_signatures += 1
                self.attempts.append((event_id, 401))
                return 401
            seen_before = any(eid == event_id for eid, _ in self.attempts)
            code = 500 if self.always_fail or (self.fail_first and not seen_before) else 200
            self.attempts.append((event_id, code))
            if code == 200:
                payload = json.loads(body)
                assert payload["id"] == event_id
                self.events.setdefault(event_id, payload)  # receivers dedupe on the event id
            return code

    def wait_for(self, check: Callable[[Receiver], bool], timeout: float = 30.0) -> None:
        """Wait until ``check`` holds (bounded wait; not a timing assertion)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if check(self):
                    return
            time.sleep(0.05)
        raise AssertionError(f"receiver state not reached: attempts={self.attempts}")

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        """Verified events of one type, in arrival order."""
        return [e for e in self.events.values() if e["type"] == kind]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length", "0"))
            code = receiver.handle(self.headers, self.rfile.read(length))
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    return Handler


@contextmanager
def running_receiver(**options: Any) -> Iterator[Receiver]:
    """A receiver listening on a free port of 127.0.0.1 for the with-block."""
    receiver = Receiver(**options)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/triage"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
