"""Which reading of a name that is both a disease and a symptom the patient meant.

Why: 头痛, 失眠, 便秘, 耳鸣 … are graph diseases and symptoms of other diseases at once. The
dictionary extractor outputs such a mention as the disease with ``also: {entity: symptom}``
(``slots/aho_corasick_extractor.py``); only the whole message says which was meant:

* **a symptom** when another disease is named (感冒会头痛吗: the topic is 感冒), or when the
  message describes complaints: other symptoms (unless it asks whether a disease shows
  them), a "which disease" cue (可能是什么, 哪些病 …), or a person with a time, a frequency
  or a "what is it" (我头痛三天了, 孩子老是失眠, 我失眠是怎么回事). Then the diseases that match the symptoms are suggested,
  and the disease reading is offered as a button (:func:`disease_offer`);
* **the disease** when it is the topic of a question (头痛怎么治疗, 失眠是什么病): the entry
  is answered, and the symptom reading is offered as a button (:func:`symptom_offer`).

Plain substring checks over the text: linear, no regular expressions.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Dict, Optional

from bot.actions.nlu_view import ParsedMessage

ALSO = "also"  # the entity key the dictionary extractor writes (AhoCorasickExtractor.ALSO)

# A message with one of these asks which disease the complaints are.
COMPLAINT_CUES = (
    "哪种病",
    "哪些病",
    "哪种疾病",
    "哪些疾病",
    "什么毛病",
    "得了什么",
    "是不是得了",
    "可能是什么",
    "可能是哪",
    "会是什么",
    "什么病引起",
)
# These ask what is going on: about oneself a complaint (我头痛是怎么回事), about a name a
# question on the disease (肠易激综合征是怎么回事, 头痛是什么病).
PERSONAL_CUES = ("什么病", "啥病", "什么疾病", "怎么回事", "咋回事", "怎么了", "什么情况")
# Sub-intents that ask whether a disease shows a symptom (骨折会肿胀吗): other symptoms then
# belong to the disease's question, not to a list of complaints.
ABOUT_SYMPTOMS = ("symptom", "complication")
# Openings in which 我 is the one asking, not the one with the complaint.
POLITE_OPENINGS = (
    "我想问一下",
    "我想问问",
    "我想问",
    "我想知道",
    "我想了解",
    "我想咨询",
    "我问一下",
    "我问下",
)
# A person who has the complaint ...
PERSON_CUES = (
    "我",
    "孩子",
    "宝宝",
    "小孩",
    "儿子",
    "女儿",
    "老公",
    "老婆",
    "爸",
    "妈",
    "奶奶",
    "爷爷",
    "家人",
)
# ... with a time or frequency: 我头痛三天了, 孩子老是失眠.
TIME_CUES = (
    "天了",
    "几天",
    "周了",
    "星期",
    "个月",
    "年了",
    "最近",
    "这几天",
    "这两天",
    "一直",
    "老是",
    "总是",
    "经常",
    "反复",
    "每天",
    "晚上",
    "早上",
    "突然",
)


def _has_any(text: str, cues: tuple) -> bool:
    return any(cue in text for cue in cues)


def describes_complaints(parsed: ParsedMessage) -> bool:
    """Whether the message describes complaints rather than asks about a named disease."""
    text = parsed.text
    for polite in POLITE_OPENINGS:  # 我想问头痛吃什么药: the asker, not a patient with complaints
        text = text.replace(polite, "")
    if parsed.values("symptom") and parsed.sub_intent not in ABOUT_SYMPTOMS:
        return True
    if _has_any(text, COMPLAINT_CUES):
        return True
    return _has_any(text, PERSON_CUES) and (_has_any(text, TIME_CUES) or _has_any(text, PERSONAL_CUES))


def _is_dual(entity: Any) -> bool:
    if not isinstance(entity, dict):
        return False
    also = entity.get(ALSO)
    return (
        entity.get("entity") == "disease"
        and isinstance(entity.get("value"), str)
        and entity.get("linked") is True
        and isinstance(also, dict)
        and also.get("entity") == "symptom"
        and isinstance(also.get("value"), str)
        and bool(also.get("value"))
    )


def _as_symptom(entity: Dict[str, Any]) -> Dict[str, Any]:
    """The mention read as its symptom; ``also`` now names the disease reading."""
    out = dict(entity)
    out.update(
        entity="symptom", value=entity[ALSO]["value"], also={"entity": "disease", "value": entity["value"]}
    )
    return out


def resolve(parsed: ParsedMessage) -> ParsedMessage:
    """``parsed`` with every disease-or-symptom mention read one way (see the module text);
    a mention read as the disease keeps ``also``, so the symptom reading can be offered."""
    duals = [e for e in parsed.entities if _is_dual(e)]
    if not duals:
        return parsed
    plain_disease = any(
        e.get("entity") == "disease" and e.get("linked") is True and not _is_dual(e) for e in parsed.entities
    )
    if not (plain_disease or describes_complaints(parsed)):
        return parsed
    entities = [_as_symptom(e) if _is_dual(e) else e for e in parsed.entities]
    return replace(parsed, entities=entities)


def symptom_offer(parsed: ParsedMessage, disease: str) -> Optional[str]:
    """The symptom that the answered ``disease`` also is, when the message named it that way."""
    for entity in parsed.entities:
        if _is_dual(entity) and entity.get("value") == disease:
            return str(entity[ALSO]["value"])
    return None


def disease_offer(parsed: ParsedMessage) -> Optional[str]:
    """The disease a lone mention read as a symptom also is (None with other symptoms: then
    the patient listed complaints, and a disease entry would not be what they asked)."""
    symptoms = [e for e in parsed.entities if e.get("entity") == "symptom" and e.get("linked") is True]
    if len(symptoms) != 1:
        return None
    also = symptoms[0].get(ALSO)
    if isinstance(also, dict) and also.get("entity") == "disease" and isinstance(also.get("value"), str):
        return also["value"]
    return None


def button(question: str) -> Dict[str, str]:
    """A button that shows and sends ``question``."""
    return {"title": question, "payload": question}


def symptom_question(symptom: str) -> str:
    """The symptom reading asked in words :func:`describes_complaints` reads as complaints."""
    return f"{symptom}可能是哪些疾病引起的"
