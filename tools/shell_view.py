"""A terminal chat client for the running bot (``python -m bot shell``, ``make shell``).

Reads one patient message per line from standard input, posts it to the bot's REST
channel (``POST {url}/webhooks/rest/webhook``, ``bot/channels/rest.py``) under one random
sender id for the whole session, and prints each bot message on one line::

    您想问的是'感冒'的治疗方法吗？ [是 → /accept] [不是 → /deny] ‹clarify · treatment · 0.60›

that is: the text (line breaks shown as ``⏎``), the message's buttons as
``[title → payload]``, then ``‹strategy · sub_intent · confidence›`` from its ``custom``
payload (the parts that are present). ``-v`` also prints each reply's JSON as the server
sent it. ``/exit``, end of input (Ctrl-D) and Ctrl-C end the session; a server that
cannot be reached or answers an error is reported in one line, never with a traceback.

Why: ``rasa shell`` prints the whole ``custom`` JSON after every reply, so a tester
reading a conversation has to dig the strategy and the sub-intent out of a screenful of
JSON; this shows what the patient sees plus the few fields a tester checks, and it talks
to the bot through a real channel (with its checks and namespacing) instead of a private
one. Rasa's REST format sends a message's text (with its buttons) and its ``custom``
payload as two list entries; :func:`bot_messages` pairs them again.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import urllib.error
import urllib.request
from typing import Any, Dict, List, Optional, TextIO

from tools.live_servers import wait_for_url

WEBHOOK = "/webhooks/rest/webhook"
HEALTH = "/webhooks/rest/"
EXIT_COMMANDS = frozenset({"/exit", "/quit"})
TOKEN_ENV = "REST_TOKEN"
REQUEST_TIMEOUT = 60.0
PROMPT = "您> "


class ShellError(Exception):
    """The server could not be reached, or answered something other than a list of messages."""


def new_sender() -> str:
    """The session's sender id: ``shell-`` and 64 random bits (the conversation is ``rest:shell-…``)."""
    return "shell-" + secrets.token_hex(8)


def bot_messages(reply: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Rasa's REST entries regrouped into bot messages: a ``custom``-only entry joins the message before it."""
    messages: List[Dict[str, Any]] = []
    for entry in reply:
        if not isinstance(entry, dict):
            continue
        entry = {k: v for k, v in entry.items() if k != "recipient_id"}
        if set(entry) == {"custom"} and messages and "custom" not in messages[-1]:
            messages[-1]["custom"] = entry["custom"]
        else:
            messages.append(entry)
    return messages


def _button(button: Any) -> str:
    if not isinstance(button, dict):
        return f"[{button}]"
    title = str(button.get("title") or "")
    payload = str(button.get("payload") or "")
    return f"[{title} → {payload}]" if payload and payload != title else f"[{title or payload}]"


def format_message(message: Dict[str, Any]) -> str:
    """One bot message as one line: text, ``[title → payload]`` buttons, ``‹strategy · sub_intent · confidence›``."""
    parts: List[str] = []
    text = message.get("text")
    if text:
        parts.append(" ⏎ ".join(line.strip() for line in str(text).splitlines() if line.strip()))
    buttons = message.get("buttons") or []
    if isinstance(buttons, list) and buttons:
        parts.append(" ".join(_button(b) for b in buttons))
    for key in ("image", "attachment"):
        if message.get(key):
            parts.append(f"[{key}: {message[key]}]")
    custom = message.get("custom")
    if isinstance(custom, dict):
        tags: List[str] = []
        if custom.get("strategy"):
            tags.append(str(custom["strategy"]))
        if custom.get("sub_intent"):
            tags.append(str(custom["sub_intent"]))
        confidence = custom.get("confidence")
        if isinstance(confidence, (int, float)) and not isinstance(confidence, bool):
            tags.append(f"{confidence:.2f}")
        if tags:
            parts.append("‹" + " · ".join(tags) + "›")
    elif custom is not None:
        parts.append(f"‹{json.dumps(custom, ensure_ascii=False)}›")
    return " ".join(parts) if parts else "(empty message)"


class RestClient:
    """Posts messages to ``{url}/webhooks/rest/webhook`` as one sender, with the bearer token if given."""

    def __init__(
        self,
        url: str,
        sender: Optional[str] = None,
        token: Optional[str] = None,
        timeout: float = REQUEST_TIMEOUT,
    ) -> None:
        self.url = url.rstrip("/")
        self.sender = sender or new_sender()
        self.token = token
        self.timeout = timeout

    def _headers(self) -> Dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def send(self, text: str) -> List[Dict[str, Any]]:
        """The server's list of REST entries for ``text``; :class:`ShellError` on any failure."""
        body = json.dumps({"sender": self.sender, "message": text}, ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(
            self.url + WEBHOOK, data=body, headers=self._headers(), method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise ShellError(f"the bot answered HTTP {exc.code}: {_error_text(exc)}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ShellError(f"cannot reach the bot at {self.url} ({reason}); is it running?") from None
        try:
            reply = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise ShellError(f"the bot's reply is not JSON: {raw[:200]!r}") from None
        if not isinstance(reply, list):
            raise ShellError(
                f"expected a list of messages, got: {json.dumps(reply, ensure_ascii=False)[:200]}"
            )
        return reply

    def is_up(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + HEALTH, timeout=2) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False


def _error_text(exc: urllib.error.HTTPError) -> str:
    """The ``error.message`` of the channel's JSON error body, else the start of the body."""
    try:
        raw = exc.read()
    except OSError:
        return str(exc.reason)
    try:
        body = json.loads(raw.decode("utf-8"))
        return str(body["error"]["message"])
    except (UnicodeDecodeError, ValueError, KeyError, TypeError):
        return raw[:200].decode("utf-8", "replace") or str(exc.reason)


def _alive(pid: Optional[int]) -> bool:
    if pid is None:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def wait_for(client: RestClient, seconds: float, pid: Optional[int], err: TextIO) -> bool:
    """Poll the REST channel's health route for up to ``seconds``; False if it never answered (or ``pid`` died)."""
    if client.is_up():
        return True
    print(f"waiting for the bot at {client.url} (up to {seconds:.0f} s)…", file=err, flush=True)

    def gone() -> Optional[str]:
        return None if _alive(pid) else f"the bot's server (pid {pid}) exited before it answered"

    try:
        wait_for_url(client.url + HEALTH, seconds, gone, interval=0.5)
    except RuntimeError as exc:
        print(f"error: {exc}", file=err)
        return False
    except TimeoutError:
        print(f"error: the bot at {client.url} did not answer within {seconds:.0f} s", file=err)
        return False
    return True


def run(
    client: RestClient,
    stdin: TextIO = sys.stdin,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
    verbose: bool = False,
    prompt: Optional[bool] = None,
) -> int:
    """The read-send-print loop until ``/exit``, end of input or Ctrl-C; always 0 (errors are printed)."""
    show_prompt = stdin.isatty() if prompt is None else prompt
    if show_prompt:
        print(f"sender {client.sender} · {client.url}{WEBHOOK} · /exit or Ctrl-D to leave", file=err)
    try:
        while True:
            if show_prompt:
                out.write(PROMPT)
                out.flush()
            line = stdin.readline()
            if not line:
                if show_prompt:
                    out.write("\n")
                break
            text = line.strip()
            if not text:
                continue
            if text in EXIT_COMMANDS:
                break
            try:
                reply = client.send(text)
            except ShellError as exc:
                print(f"error: {exc}", file=err, flush=True)
                continue
            messages = bot_messages(reply)
            for message in messages:
                print(format_message(message), file=out)
            if not messages:
                print("(no reply)", file=out)
            if verbose:
                print(json.dumps(reply, ensure_ascii=False, indent=2), file=out)
            out.flush()
    except KeyboardInterrupt:
        out.write("\n")
    return 0


def main(
    url: str,
    verbose: bool = False,
    token: Optional[str] = None,
    sender: Optional[str] = None,
    wait: float = 0.0,
    wait_pid: Optional[int] = None,
) -> int:
    """``python -m bot shell``: wait for the server if asked, then chat; 1 if it never came up."""
    client = RestClient(url, sender=sender, token=token if token is not None else os.environ.get(TOKEN_ENV))
    try:
        if wait > 0 and not wait_for(client, wait, wait_pid, sys.stderr):
            return 1
    except KeyboardInterrupt:
        return 0
    return run(client, verbose=verbose)
