"""One user message through the dialogue engine, and the safety net when it fails.

Why: a failure or a timeout inside Rasa or the action server must never reach the patient
as a 5xx, a stack trace or silence: the channel then adds the emergency advice (when the
message has red flags) and a polite ``service_unavailable`` bot message itself. Each bot
message is kept as one ``{"text", "custom"}`` object (:class:`PairedOutputChannel`).

This module runs in the Rasa server process, so it imports :mod:`bot.actions.payload`
(and, lazily, the emergency rules and templates) there.
"""

from __future__ import annotations

import asyncio
import logging
import random
from functools import lru_cache
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel, UserMessage

from bot.actions.payload import build_payload
from bot.responses import DOMAIN_FILE, texts

logger = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]

# Said when the dialogue engine fails or does not answer in time (never silence, never a 5xx):
# the variations of this response in domain.yml, and this text should domain.yml be unreadable.
SERVICE_UNAVAILABLE_RESPONSE = "utter_service_unavailable"
SERVICE_UNAVAILABLE_TEXT = (
    "抱歉，系统暂时无法回答您的问题，请稍后再试。"
    "如有胸痛、呼吸困难、意识不清、大出血等紧急情况，请立即拨打120或前往最近医院的急诊。"
)


class PairedOutputChannel(CollectingOutputChannel):
    """Collects each bot message as one ``{"text", "custom"}`` object.

    Why: an action sends text and its ``custom`` payload in one ``utter_message``, but the
    base ``OutputChannel.send_response`` splits them into two messages (that is what the
    REST channel returns). Overriding ``send_response`` keeps them together, so clients
    never have to guess which payload belongs to which text.
    """

    @classmethod
    def name(cls) -> str:
        return "paired_collector"

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        paired: Dict[str, Any] = {"text": message.get("text"), "custom": message.get("custom")}
        for extra in ("buttons", "quick_replies", "image", "attachment", "elements"):
            if message.get(extra):
                paired[extra] = message[extra]
        self.messages.append(paired)


@lru_cache(maxsize=1)
def service_unavailable_texts() -> Tuple[str, ...]:
    """The variations of ``utter_service_unavailable`` (domain.yml), the contact filled in."""
    try:
        from bot.settings import load_settings

        found = tuple(texts(SERVICE_UNAVAILABLE_RESPONSE, hospital_contact=load_settings().hospital_contact))
    except Exception:  # never fail on the path that answers failures
        logger.exception("cannot read %s from %s", SERVICE_UNAVAILABLE_RESPONSE, DOMAIN_FILE)
        found = ()
    return found or (SERVICE_UNAVAILABLE_TEXT,)


def service_unavailable_message() -> Dict[str, Any]:
    """The bot message a channel sends itself when the dialogue engine failed or timed out."""
    return {
        "text": random.choice(service_unavailable_texts()),
        "custom": build_payload("service_unavailable"),
    }


def emergency_message(text: str) -> Optional[Dict[str, Any]]:
    """The emergency advice for ``text`` when it has red flags (``bot/emergency_rules.yml``), else None.

    Why here too: the actions give this advice first on every message, but when the action
    server is down or hung Rasa answers nothing, and the advice to call 120 must still reach
    the patient. Rules and template are the actions' own, so both paths say the same.
    """
    from bot.actions.emergency import red_flags
    from bot.render import render
    from bot.settings import load_settings

    settings = load_settings()
    categories = red_flags(text, settings)
    if not categories:
        return None
    reply = render(
        "emergency.j2",
        bot_name=settings.bot_name,
        disease=None,
        items=categories,
        departments=[],
        categories=categories,
    )
    return {"text": reply, "custom": build_payload("emergency", items=categories)}


def safety_net(text: str, sent: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """What a channel adds itself when the dialogue failed, timed out or said nothing.

    The emergency advice (unless it was already sent) and the ``service_unavailable``
    message, so the patient is never left without a reply.
    """
    added: List[Dict[str, Any]] = []
    already = any((m.get("custom") or {}).get("strategy") == "emergency" for m in sent)
    try:
        emergency = None if already else emergency_message(text)
    except Exception:  # the safety net itself must not fail: the 120 line is in the text below
        logger.exception("emergency check in the channel failed")
        emergency = None
    if emergency:
        added.append(emergency)
    added.append(service_unavailable_message())
    return added


async def run_dialogue(
    on_new_message: OnNewMessage,
    output: OutputChannel,
    text: str,
    sender_id: str,
    input_channel: str,
    metadata: Optional[Dict[str, Any]],
    timeout: float,
) -> bool:
    """Run one user message through Rasa into ``output``; False when it failed or timed out.

    The failure is logged with its traceback (the client never sees it); the caller then
    adds :func:`safety_net`'s messages so the patient is never left without a reply.
    """
    message = UserMessage(text, output, sender_id, input_channel=input_channel, metadata=metadata)
    try:
        await asyncio.wait_for(on_new_message(message), timeout=timeout)
        return True
    except asyncio.TimeoutError:
        logger.error("%s: no reply for sender %s within %.0f s", input_channel, sender_id, timeout)
    except Exception:  # any failure inside Rasa or the action server: log it, answer politely
        logger.exception("%s: handling a message from sender %s failed", input_channel, sender_id)
    return False


class _Tee(CollectingOutputChannel):
    """Sends each bot message on to ``output`` and records it paired (to know what was said)."""

    def __init__(self, output: OutputChannel, record: PairedOutputChannel) -> None:
        super().__init__()
        self.output, self.record = output, record

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        await self.record.send_response(recipient_id, message)
        await self.output.send_response(recipient_id, message)


async def answer_into(
    output: OutputChannel,
    on_new_message: OnNewMessage,
    text: str,
    sender_id: str,
    input_channel: str,
    metadata: Optional[Dict[str, Any]],
    timeout: float,
) -> None:
    """Run one user message through Rasa into ``output``, never leaving the patient without a reply.

    When the dialogue fails, times out or sends nothing (Rasa answers nothing when the
    action server is down), :func:`safety_net`'s messages follow what was sent, through the
    same ``output`` (paired for the web and HIS channels, Rasa's format for REST).
    """
    sent = PairedOutputChannel()
    ok = await run_dialogue(
        on_new_message, _Tee(output, sent), text, sender_id, input_channel, metadata, timeout
    )
    if ok and sent.messages:
        return
    if ok:
        logger.error(
            "%s: the dialogue engine sent nothing to sender %s (action server down?)",
            input_channel,
            sender_id,
        )
    for message in safety_net(text, sent.messages):
        await output.send_response(sender_id, message)


async def collect_replies(
    on_new_message: OnNewMessage,
    text: str,
    sender_id: str,
    input_channel: str,
    metadata: Optional[Dict[str, Any]],
    timeout: float,
) -> List[Dict[str, Any]]:
    """The bot's paired ``{"text", "custom"}`` messages for one user message (see :func:`answer_into`)."""
    collector = PairedOutputChannel()
    await answer_into(collector, on_new_message, text, sender_id, input_channel, metadata, timeout)
    return collector.messages
