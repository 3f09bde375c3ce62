"""A stub of Resend's HTTP API on 127.0.0.1: `POST /emails/batch` with its real answer shapes.

It honours `Idempotency-Key` the way Resend does (the same key returns the first answer and sends
nothing again), and can be told to answer the next calls with 429 (with `Retry-After`) or 5xx, or
to stall past the client's timeout. Used by the tests and by benchmarks/campaign_send.py.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class StubResend:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.script: deque[tuple[int, dict]] = deque()  # (status, headers) for the next calls
        self.stall_next = 0
        self.by_key: dict[str, list[str]] = {}
        self.delivered: list[dict] = []  # every email actually "sent" (not replays)
        self.calls: list[dict] = []  # every request: key, status, size
        self.record_bodies = True
        self.delay_after_accept = 0.0  # seconds to hold an accepted batch's answer
        self.holding: set[int] = set()  # client ports whose accepted batch's answer is held
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> StubResend:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail_next(self, *answers: tuple[int, dict]) -> None:
        with self.lock:
            self.script.extend(answers)

    def delivered_to(self) -> list[str]:
        return [email["to"][0] for email in self.delivered]

    def _handler(self):
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def _answer(self, status: int, body: dict, headers: dict | None = None) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(raw)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                key = self.headers.get("Idempotency-Key", "")
                if self.path == "/emails":  # single send, as django-anymail does it
                    email = json.loads(body)
                    with stub.lock:
                        stub.delivered.append(email if stub.record_bodies else {"to": email["to"]})
                        stub.calls.append({"key": key, "status": 200, "size": 1})
                    return self._answer(200, {"id": str(uuid.uuid4())})
                if self.path != "/emails/batch":
                    return self._answer(
                        404, {"statusCode": 404, "name": "not_found", "message": "Not found"}
                    )
                if not self.headers.get("Authorization", "").startswith("Bearer "):
                    return self._answer(
                        401,
                        {
                            "statusCode": 401,
                            "name": "missing_api_key",
                            "message": "Missing API key",
                        },
                    )
                with stub.lock:
                    scripted = stub.script.popleft() if stub.script else None
                    stall = stub.stall_next > 0
                    if stall:
                        stub.stall_next -= 1
                if stall:
                    time.sleep(3)
                    return self._answer(
                        500,
                        {"statusCode": 500, "name": "internal_server_error", "message": "stalled"},
                    )
                if scripted:
                    status, headers = scripted
                    with stub.lock:
                        stub.calls.append({"key": key, "status": status, "size": 0})
                    name = "rate_limit_exceeded" if status == 429 else "internal_server_error"
                    return self._answer(
                        status, {"statusCode": status, "name": name, "message": "scripted"}, headers
                    )
                emails = json.loads(body)
                if not isinstance(emails, list) or not 1 <= len(emails) <= 100:
                    return self._answer(
                        422,
                        {
                            "statusCode": 422,
                            "name": "validation_error",
                            "message": "Batch must hold 1 to 100 emails",
                        },
                    )
                with stub.lock:
                    if key and key in stub.by_key:
                        ids = stub.by_key[key]
                        stub.calls.append(
                            {"key": key, "status": 200, "size": len(emails), "replay": True}
                        )
                    else:
                        ids = [str(uuid.uuid4()) for _ in emails]
                        if key:
                            stub.by_key[key] = ids
                        if stub.record_bodies:
                            stub.delivered.extend(emails)
                        else:
                            stub.delivered.extend({"to": e["to"]} for e in emails)
                        stub.calls.append({"key": key, "status": 200, "size": len(emails)})
                if stub.delay_after_accept:
                    client_port = self.client_address[1]
                    stub.holding.add(client_port)
                    try:
                        time.sleep(stub.delay_after_accept)  # a crash now: sent, answer unread
                    finally:
                        stub.holding.discard(client_port)
                return self._answer(200, {"data": [{"id": i} for i in ids]})

        return Handler
