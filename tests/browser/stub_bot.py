"""A stub agent for the browser tests whose scripted bot messages may carry Rasa buttons.

Why: the widget draws whatever ``buttons`` a bot message has, so the tests need messages
with buttons without a trained model; this sends them exactly as Rasa does after an action's
``utter_message(text=…, buttons=…, json_message=…)`` (``BotUttered.message()`` through the
channel's output), so the web channel's pairing of text, buttons and ``custom`` is the real one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Sequence

from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import BotUttered

from bot.actions.payload import build_payload
from tests.channels.server import CLARIFY, SYMPTOM_ANSWER, StubAgent

YES_NO = [{"title": "是", "payload": "/accept"}, {"title": "不是", "payload": "/deny"}]
# The clarifying question as the bot asks it: 是 sends /accept, 不是 sends /deny.
CLARIFY_BUTTONS = (CLARIFY[0], CLARIFY[1], YES_NO)
TREATMENT = (
    "感冒的治疗方法有：药物治疗、多休息多饮水。\n常用药物：对乙酰氨基酚片（具体用药请遵医嘱）。",
    build_payload(
        "answer",
        intent="diagnosis",
        sub_intent="treatment",
        confidence=0.9,
        disease="感冒",
        items=["药物治疗", "多休息多饮水"],
    ),
)


@dataclass
class ButtonStubAgent(StubAgent):
    """:class:`StubAgent` whose script entries are ``(text, custom)`` or ``(text, custom, buttons)``."""

    script: Dict[str, List[Sequence[Any]]] = field(default_factory=dict)  # type: ignore[assignment]

    async def handle_message(self, message: UserMessage) -> None:
        if message.text.startswith(("boom", "silent")) or message.text == "slow":
            await super().handle_message(message)  # the failure paths, and the slow SYMPTOM_ANSWER
            return
        self.received.append(message)
        for reply in self.script.get(message.text, [SYMPTOM_ANSWER]):
            data: Dict[str, Any] = {"custom": reply[1]}
            if len(reply) > 2:
                data["buttons"] = reply[2]
            event = BotUttered(reply[0], data=data)
            await message.output_channel.send_response(message.sender_id, event.message())
