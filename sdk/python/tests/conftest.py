"""A scripted in-process stand-in for Heron's ``POST /v1/events`` (an httpx transport)."""

from __future__ import annotations

import gzip
import json
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

Answer = int | tuple[int, dict[str, str]] | Exception


@dataclass
class Seen:
    headers: httpx.Headers
    body: dict[str, Any]
    at: float


class FakeHeron:
    """Records every request; answers from a script (status, (status, headers) or an
    exception to raise), then ``200`` with every event accepted."""

    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self.script: list[Answer] = []
        self.lock = threading.Lock()

    def reply(self, *answers: Answer) -> None:
        self.script.extend(answers)

    def handle(self, request: httpx.Request) -> httpx.Response:
        raw = request.content
        if request.headers.get("content-encoding") == "gzip":
            raw = gzip.decompress(raw)
        body = json.loads(raw)
        with self.lock:
            self.requests.append(Seen(request.headers, body, time.monotonic()))
            answer = self.script.pop(0) if self.script else 200
        if isinstance(answer, Exception):
            raise answer
        status, headers = answer if isinstance(answer, tuple) else (answer, {})
        if status == 200:
            payload = {"accepted": len(body["batch"]), "errors": []}
            return httpx.Response(200, json=payload, headers=headers)
        return httpx.Response(status, json={"error": {"code": "x"}}, headers=headers)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    @property
    def batches(self) -> list[list[dict[str, Any]]]:
        return [seen.body["batch"] for seen in self.requests]

    @property
    def events(self) -> list[dict[str, Any]]:
        return [event for batch in self.batches for event in batch]


@pytest.fixture
def fake() -> FakeHeron:
    return FakeHeron()
