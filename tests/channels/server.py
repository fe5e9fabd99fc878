"""A real HTTP server on 127.0.0.1 running the project's channels in front of a stub agent.

Why: the tests must exercise the channel code exactly as ``rasa run`` wires it — Rasa's
``configure_app`` (which also installs Rasa's CORS extension) and ``register`` mount the
blueprints — without a trained model. The stub agent stands in for
``Agent.handle_message``: it sends bot messages the way Rasa does after an action ran
(``BotUttered.message()`` through ``send_response``), so the text/custom pairing is real.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.run import configure_app
from rasa.shared.core.events import BotUttered
from sanic import Sanic

from bot.actions.payload import CLARIFY_BUTTONS, build_payload
from tools.live_servers import free_port, http_request

# Several apps with Rasa's fixed app name are created in one test session.
Sanic.test_mode = True


HIS_TEST_TOKEN = "his-test-token-8f2c1d"

Reply = Tuple[str, Dict[str, Any]]

SYMPTOM_ANSWER: Reply = (
    "感冒的常见症状有：发热、咳嗽。",
    build_payload(
        "answer",
        intent="diagnosis",
        sub_intent="symptom",
        confidence=0.91,
        disease="感冒",
        items=["发热", "咳嗽"],
    ),
)
CLARIFY: Reply = (
    "您想问的是'感冒'的治疗方法吗？",
    build_payload("clarify", intent="diagnosis", sub_intent="treatment", confidence=0.6, disease="感冒"),
)
RESUMED: Reply = (
    "好的，智能问答已恢复，请问有什么可以帮您？",
    build_payload("handoff_resumed", intent="handoff_resume"),
)


@dataclass
class StubAgent:
    """Answers like the bot, from a script: user text -> bot messages (text, custom).

    Unscripted texts get ``SYMPTOM_ANSWER``. Special texts drive the failure paths: a text
    starting with ``boom`` raises inside the dialogue, ``slow`` takes ``slow_seconds`` first,
    one starting with ``silent`` is answered with nothing (as Rasa does when the action
    server is down). Like the bot, a ``clarify`` message carries the 是 / 不是 buttons.
    """

    slow_seconds: float = 5.0
    script: Dict[str, List[Reply]] = field(
        default_factory=lambda: {
            "two": [SYMPTOM_ANSWER, CLARIFY],
            "clarify": [CLARIFY],
            "/handoff_resume": [RESUMED],
        }
    )
    received: List[UserMessage] = field(default_factory=list)

    async def handle_message(self, message: UserMessage) -> None:
        self.received.append(message)
        if message.text.startswith("boom"):
            raise RuntimeError("simulated failure inside the dialogue engine")
        if message.text.startswith("silent"):
            return
        if message.text == "slow":
            await asyncio.sleep(self.slow_seconds)
        for text, custom in self.script.get(message.text, [SYMPTOM_ANSWER]):
            data: Dict[str, Any] = {"custom": custom}
            if custom["strategy"] == "clarify":
                data["buttons"] = [dict(b) for b in CLARIFY_BUTTONS]
            event = BotUttered(text, data=data)
            await message.output_channel.send_response(message.sender_id, event.message())


class ChannelServer:
    """Serve ``channels`` on ``port`` (default: a free one) in a background thread until ``stop()``."""

    def __init__(
        self, channels: List[InputChannel], agent: Optional[StubAgent] = None, port: Optional[int] = None
    ) -> None:
        self.agent = agent or StubAgent()
        self.port = port or free_port()
        self.app = configure_app(input_channels=channels, enable_api=False, port=self.port)
        self.app.ctx.agent = self.agent
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self._ready = threading.Event()
        self._error: Optional[BaseException] = None

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            server = self.loop.run_until_complete(
                self.app.create_server(
                    host="127.0.0.1", port=self.port, return_asyncio_server=True, access_log=False
                )
            )
            self.loop.run_until_complete(server.startup())
            self.loop.run_until_complete(server.before_start())
            self.loop.run_until_complete(server.after_start())
            self.server = server
        except BaseException as exc:  # reported to the test thread by start()
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(self._shutdown(server))
        self.loop.close()

    async def _shutdown(self, server) -> None:
        """Stop listening, drop open (keep-alive) connections, and finish their tasks."""
        await server.before_stop()
        server.server.close()
        await server.server.wait_closed()
        for connection in list(server.connections):
            if connection.transport:
                connection.transport.abort()
        pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        await server.after_stop()

    def start(self) -> ChannelServer:
        self.thread.start()
        if not self._ready.wait(30):
            raise TimeoutError("channel test server did not start within 30 s")
        if self._error:
            raise RuntimeError(f"channel test server failed to start: {self._error!r}")
        return self

    def stop(self) -> None:
        """Stop serving (a second call does nothing)."""
        if not self.thread.is_alive():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: Optional[Dict[str, str]] = None,
        raw: Optional[bytes] = None,
    ) -> Tuple[int, Dict[str, str], Any]:
        """``(status, lower-cased headers, parsed JSON or raw text)``; ``body`` is sent as JSON."""
        return http_request(self.port, method, path, body, headers, raw, timeout=30)
