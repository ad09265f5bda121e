"""A real SMTP server for the e-mail tests: aiosmtpd on 127.0.0.1, in a thread, that can be stopped and started
again on the same port (an outage), refuse chosen recipients (550 for good, 451 for now) and report every
message it accepted, as bytes, with its envelope.

    def test_x(smtp_app, smtp_server): ...   # the app's MAIL_* point at the server; messages in smtp_server.received
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from flask import Flask

SENDER = "PlanApp <no-reply@planapp.test>"


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.raw, policy=email.policy.default)  # type: ignore[return-value]

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    @property
    def header_block(self) -> str:
        """The raw header section, as it went over the wire."""
        return self.raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0].decode("ascii", errors="replace")


@dataclass
class Recorder:
    """The aiosmtpd handler: accepts, or refuses a recipient with the reply set in `refuse`."""

    refuse: dict[str, str] = field(default_factory=dict)  # lower-cased address → "550 …" / "451 …"
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's name)
        reply = self.refuse.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        with self.lock:
            self.received.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), envelope.original_content
                                          or envelope.content))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    """aiosmtpd's Controller on a fixed free port, so the app's MAIL_PORT stays right across stop/start."""

    def __init__(self) -> None:
        self.port = free_port()
        self.handler = Recorder()
        self._controller: Controller | None = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        if self._controller is None:
            controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
            controller.start()
            self._controller = controller

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    def message_id_counts(self) -> Counter[str]:
        return Counter(item.message_id for item in self.received)

    def config(self) -> dict[str, str]:
        return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(self.port), "MAIL_SECURITY": "",
                "MAIL_DEFAULT_SENDER": SENDER, "MAIL_TIMEOUT_SECONDS": "5"}


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp_app(ctx: Flask, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> Flask:
    """The test's app, its MAIL_* settings pointing at the local server for this test only."""
    for key, value in smtp_server.config().items():
        monkeypatch.setitem(ctx.config, key, value)
    return ctx
