"""How a medical question is answered, as functions of a :class:`Turn`.

The decision for a question (sub-intent q with confidence c, ``dialogue.yml`` thresholds):

0. while "哪种疾病？" is open, a reply that names only a disease answers the waiting
   question (routed by ``base.py`` whatever its intent); one without a disease is
   another failed follow-up                                                   (ask_slot, fallback)
   (a name that is both a disease and a symptom, 头痛, is read one way first: bot/actions/readings.py;
   the other reading is offered as a button with the answer or the suggestions)
1. symptoms but no disease named        -> the best-matching diseases        (suggest_diseases)
2. a disease the graph does not know    -> "still learning", logged           (not_found)
2b. a message asking two or three graph questions (each c >= deny_threshold) about one disease
                                        -> one reply per question, each in its band;
                                           at most one clarify, the other unsure ones
                                           named to ask again                  (answer_each)
3. c < deny_threshold, a disease known, the two likeliest question types
   graph questions that together have >= choice_min_mass
                                        -> both readings as buttons           (choose)
   c < deny_threshold otherwise         -> say so, invite a rephrase          (deny)
4. q has no graph query ("other")       -> "still learning", logged           (not_found)
5. no disease named, none in context    -> "哪种疾病？" at most max_disease_questions
                                           times in a row, then what the bot can do
                                                                              (ask_slot, fallback)
6. c >= accept_threshold                -> the graph's answer                 (answer)
7. otherwise                            -> "您想问的是…吗？" with buttons 是 (/accept)
                                           and 不是 (/deny), answer kept       (clarify)
   an empty answer in 6 or 7            -> "still learning", logged           (not_found)

``accept`` and ``deny`` settle a prepared answer (confirm, deny). The graph being down
gives kg_unavailable and a reconnect on the next message.

Why: the bands decide how sure the bot must be before it answers a patient; keeping the
whole decision in one module, as plain functions of a turn, makes it readable and testable.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Tuple

from bot.actions import kg_access, readings
from bot.actions.payload import CLARIFY_BUTTONS
from bot.actions.turn import Reply, Turn
from bot.render import render
from kg_queries.questions import QUESTION_TYPES, Answer
from kg_queries.store import KGUnavailableError

logger = logging.getLogger(__name__)


# -- entry points ------------------------------------------------------------------------
def handle_question(turn: Turn) -> None:
    """A message with the main intent ``diagnosis``."""
    p, state, cfg = turn.parsed, turn.state, turn.settings
    named = p.values("disease")
    unknown = p.unlinked("disease")
    symptoms = p.values("symptom")

    if symptoms and not named and not unknown:
        state.clear_pending()
        suggest_diseases(turn, symptoms)
        return
    if unknown and not named:
        state.clear_pending()
        turn.say("not_found", "not_found.j2", disease=unknown[0])
        turn.record_unanswered("unknown_disease", unknown[0])
        return
    if not named and state.awaiting_disease:
        follow_up_without_disease(turn)
        return
    state.clear_pending()
    question, confidence = p.sub_intent, p.sub_intent_confidence
    disease = named[0] if named else state.disease
    several = several_questions(turn)
    if disease and several:
        answer_each(turn, several, disease)
        return
    if named and (confidence < cfg.deny_threshold or question not in QUESTION_TYPES):
        state.use_disease(named[0])  # (= disease) the topic is clear even when the question is not
    if confidence < cfg.deny_threshold:
        choice = two_readings(turn) if disease else None
        if choice and disease:
            offer_readings(turn, disease, choice)
        else:
            turn.say("deny", "low_confidence.j2", question=question, disease=disease)
        return
    if question not in QUESTION_TYPES:
        turn.say("not_found", "not_found.j2", disease=disease)
        turn.record_unanswered("unsupported_question", disease)
        return
    if not disease:
        ask_for_disease(turn, question, confidence, asked=turn.asked())
        return
    answer_in_band(turn, question, confidence, disease, asked=turn.asked())


def several_questions(turn: Turn) -> List[Tuple[str, float]]:
    """The graph questions of a message that asks several (糖尿病吃什么药？能治好吗？), each
    at least in the clarify band; empty unless two or more remain."""
    if len(turn.parsed.values("disease")) > 1:
        return []  # questions about two diseases: the usual path, about the first one
    asked = [
        (q, c)
        for q, c in turn.parsed.sub_intents
        if q in QUESTION_TYPES and c >= turn.settings.deny_threshold
    ]
    return asked if len(asked) >= 2 else []


def answer_each(turn: Turn, questions: List[Tuple[str, float]], disease: str) -> None:
    """One reply per question, each in its own band (``custom.sub_intent`` says which): the
    confident ones answered, then at most one "您想问的是…吗？" (one answer can wait for 是)."""
    turn.state.use_disease(disease)
    confident = [(q, c) for q, c in questions if c >= turn.settings.accept_threshold]
    unsure = [(q, c) for q, c in questions if c < turn.settings.accept_threshold]
    chosen = confident + unsure[:1]
    for number, (question, confidence) in enumerate(chosen):
        # the other reading of a disease-or-symptom name once, with the last answer
        offer = number == len(confident) - 1
        answer_in_band(turn, question, confidence, disease, asked=turn.asked(), offer_reading=offer)
    later = [q for q, _ in unsure[1:]]
    if later and turn.replies and turn.replies[-1].text:  # name what is not answered yet
        reply = turn.replies[-1]
        reply.text = f"{reply.text}\n" + render("later_questions.j2", disease=disease, questions=later)


def two_readings(turn: Turn) -> Optional[List[str]]:
    """The two likeliest question types when both are graph questions and together are at
    least ``choice_min_mass`` likely, else None (then "I'm not sure" is the honest reply)."""
    ranked = turn.parsed.sub_intent_ranking[:2]
    if len(ranked) < 2 or any(name not in QUESTION_TYPES for name, _ in ranked):
        return None
    if sum(confidence for _, confidence in ranked) < turn.settings.choice_min_mass:
        return None
    return [name for name, _ in ranked]


def offer_readings(turn: Turn, disease: str, readings: List[str]) -> None:
    """ "您想问的是A，还是B？" with one button per reading; each button shows and sends the
    question written out ("糖尿病怎么治疗"), which the NLU then reads with confidence."""
    turn.state.use_disease(disease)
    questions = [render("reading_question.j2", question=q, disease=disease) for q in readings]
    buttons = [{"title": text, "payload": text} for text in questions]
    turn.say("choose", "choose.j2", disease=disease, items=readings, readings=readings, buttons=buttons)


def names_only_a_disease(turn: Turn) -> bool:
    """True when the message names a disease and says nothing else ("是糖尿病")."""
    return bool(turn.parsed.values("disease")) and not turn.parsed.residual_text(
        turn.settings.disease_reply_filler
    )


def answer_waiting_question(turn: Turn) -> None:
    """The user named the disease a pending question was waiting for."""
    waiting = turn.state.awaiting_disease or {}
    disease = turn.parsed.values("disease")[0]
    turn.state.clear_pending()
    turn.state.use_disease(disease)
    answer_in_band(turn, waiting["sub_intent"], waiting["confidence"], disease, asked=waiting.get("asked"))


def follow_up_without_disease(turn: Turn) -> None:
    """Another message without a disease while "哪种疾病？" is open: ask again or give up."""
    waiting = dict(turn.state.awaiting_disease or {})
    p = turn.parsed
    if p.sub_intent in QUESTION_TYPES and p.sub_intent_confidence >= turn.settings.deny_threshold:
        waiting.update(sub_intent=p.sub_intent, confidence=p.sub_intent_confidence, asked=turn.asked())
    ask_for_disease(
        turn,
        waiting.get("sub_intent"),
        waiting.get("confidence", 0.0),
        asked=waiting.get("asked") or turn.asked(),
    )


def confirm_pending_answer(turn: Turn) -> None:
    """``accept`` after "您想问的是…吗？": deliver the prepared answer."""
    pending = turn.state.pending_answer or {}
    turn.state.clear_pending()
    turn.state.use_disease(pending["disease"])
    turn.say(
        "confirm",
        f"answers/{pending['question']}.j2",
        sub_intent=pending["question"],
        confidence=pending["confidence"],
        disease=pending["disease"],
        items=pending["items"],
        departments=pending["departments"],
        fields=pending["fields"],
    )


def reject_pending_answer(turn: Turn) -> None:
    """``deny`` after "您想问的是…吗？": apologise and invite a rephrase."""
    pending = turn.state.pending_answer or {}
    turn.state.clear_pending()
    turn.say(
        "deny",
        "clarify_denied.j2",
        sub_intent=pending.get("question"),
        confidence=pending.get("confidence"),
        disease=pending.get("disease"),
        question=pending.get("question"),
    )


# -- steps -------------------------------------------------------------------------------
def ask_for_disease(turn: Turn, question: Optional[str], confidence: float, asked: Dict[str, Any]) -> None:
    """Ask "哪种疾病？" unless it was asked ``max_disease_questions`` times in a row already."""
    state = turn.state
    if state.disease_questions >= turn.settings.max_disease_questions:
        state.clear_pending()
        turn.utter("fallback", "utter_fallback", sub_intent=question, confidence=confidence)
        return
    state.pending_answer = None
    state.awaiting_disease = {"sub_intent": question, "confidence": confidence, "asked": asked}
    state.disease_questions += 1
    turn.say(
        "ask_slot",
        "ask_disease.j2",
        sub_intent=question,
        confidence=confidence,
        question=question,
        attempt=state.disease_questions,
    )


def answer_in_band(
    turn: Turn,
    question: str,
    confidence: float,
    disease: str,
    asked: Optional[Dict[str, Any]],
    offer_reading: bool = True,
) -> None:
    """Answer at once (c >= accept_threshold) or prepare the answer and ask to confirm;
    ``offer_reading``: add the symptom reading's button to an answer (once per turn)."""
    answer = _ask_graph(turn, question, disease, confidence)
    if answer is None:
        return
    if not answer.found or not answer.has_content:
        if answer.found:
            turn.state.use_disease(answer.disease)
        turn.say("not_found", "not_found.j2", sub_intent=question, confidence=confidence, disease=disease)
        turn.record_unanswered("empty_property" if answer.found else "unknown_disease", disease, asked=asked)
        return
    turn.state.use_disease(answer.disease)
    departments = _departments(answer)
    if confidence >= turn.settings.accept_threshold:
        reply = turn.say(
            "answer",
            f"answers/{question}.j2",
            sub_intent=question,
            confidence=confidence,
            disease=answer.disease,
            items=answer.items,
            departments=departments,
            fields=answer.fields,
        )
        symptom = readings.symptom_offer(turn.parsed, disease) if offer_reading else None
        if symptom:  # 头痛怎么治疗 answered from the disease entry; the symptom reading on a button
            _offer_other_reading(reply, readings.symptom_question(symptom), symptom=symptom, disease=disease)
        return
    turn.state.pending_answer = {
        "question": question,
        "confidence": confidence,
        "disease": answer.disease,
        "items": answer.items,
        "fields": answer.fields,
        "departments": departments,
    }
    turn.say(
        "clarify",
        "clarify.j2",
        sub_intent=question,
        confidence=confidence,
        disease=answer.disease,
        question=question,
        buttons=CLARIFY_BUTTONS,
    )


def suggest_diseases(turn: Turn, symptoms: List[str]) -> None:
    """The diseases that share most of the symptoms, with their departments (for reference only)."""
    try:
        matches = kg_access.get_kg().diseases_for_symptoms(symptoms, limit=turn.settings.suggest_limit)
    except KGUnavailableError as exc:
        _graph_unavailable(turn, exc, confidence=turn.parsed.sub_intent_confidence)
        return
    if not matches:
        turn.say("not_found", "not_found.j2", disease=None)
        turn.record_unanswered("no_matching_disease", None)
        return
    items = [
        {"disease": m.disease, "hits": m.hits, "matched": m.matched, "departments": m.departments}
        for m in matches
    ]
    departments: List[str] = []
    for match in matches:
        departments += [d for d in match.departments if d not in departments]
    reply = turn.say(
        "suggest_diseases",
        "suggest_diseases.j2",
        items=items,
        departments=departments,
        symptoms=symptoms,
        matches=items,
    )
    disease, question = readings.disease_offer(turn.parsed), turn.parsed.sub_intent
    if (
        disease
        and question in QUESTION_TYPES
        and turn.parsed.sub_intent_confidence >= turn.settings.deny_threshold
    ):
        # 我失眠好几天了怎么办 read as a complaint; the disease entry's answer on a button
        offer = render("reading_question.j2", question=question, disease=disease)
        _offer_other_reading(reply, offer, symptom=None, disease=disease)


def _offer_other_reading(reply: Reply, question: str, symptom: Optional[str], disease: str) -> None:
    """Append the other reading of a disease-or-symptom name to ``reply``, with a button
    that asks ``question`` (``bot/actions/readings.py``)."""
    note = render("reading_offer.j2", symptom=symptom, disease=disease, question=question)
    reply.text = f"{reply.text or ''}\n{note}"
    reply.buttons = [readings.button(question)]


# -- the graph ---------------------------------------------------------------------------
def _ask_graph(turn: Turn, question: str, disease: str, confidence: float) -> Optional[Answer]:
    try:
        return kg_access.get_kg().ask(question, disease)
    except KGUnavailableError as exc:
        _graph_unavailable(turn, exc, sub_intent=question, confidence=confidence, disease=disease)
        return None


def _departments(answer: Answer) -> List[str]:
    """The departments treating the answer's disease (the hospital's systems route with them)."""
    if answer.question_type == "department":
        return list(answer.fields.get("departments") or [])
    try:
        return list(kg_access.get_kg().ask("department", answer.disease).fields.get("departments") or [])
    except KGUnavailableError as exc:
        logger.warning("departments of %s unavailable: %s", answer.disease, exc)
        return []


def _graph_unavailable(turn: Turn, exc: Exception, **payload: Any) -> None:
    logger.warning("knowledge graph unavailable: %s", exc)
    kg_access.reset()
    turn.utter("kg_unavailable", "utter_kg_unavailable", **payload)
