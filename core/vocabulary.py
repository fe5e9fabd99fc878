"""The vocabulary every component, the data generator, the actions and the tests share.

Why: a label added in one place and not in another used to be dropped silently (an
example whose intent a classifier did not know, an entity type with no producer). One
list each, here: the main intents, the sub-intents of a medical question with their
Chinese names, the entity types (one per graph node label, from the graph schema) and
the settings of the deterministic dev split that every voting member is measured on.
"""

from __future__ import annotations

from typing import Dict, Tuple

from kg_queries import schema

# --- intents ---------------------------------------------------------------------------
# Small talk: answered by action_gossip (accept/deny also settle a clarifying question).
SMALLTALK_INTENTS: Tuple[str, ...] = ("greet", "goodbye", "isbot", "accept", "deny")
# "转人工": answered by action_handoff. Hand-written data like small talk, but not small talk.
HANDOFF_INTENT = "handoff"
# The intents whose training data is hand-written sentences without a sub-intent.
CONVERSATION_INTENTS: Tuple[str, ...] = SMALLTALK_INTENTS + (HANDOFF_INTENT,)
MEDICAL_INTENT = "diagnosis"
# What the NLU classifies every message into. Not here: ``handoff_resume``, an intent only
# the HIS channel injects itself (``/handoff_resume``), never predicted from text.
MAIN_INTENTS: Tuple[str, ...] = CONVERSATION_INTENTS + (MEDICAL_INTENT,)
HANDOFF_RESUME_INTENT = "handoff_resume"

# Sub-intents of a medical question, in the order the data and the reports list them.
SUB_INTENT_NAMES_ZH: Dict[str, str] = {
    "definition": "定义",
    "cause": "病因",
    "prevention": "预防",
    "symptom": "临床表现",
    "complication": "相关病症",
    "treatment": "治疗方法",
    "department": "所属科室",
    "infectivity": "传染性",
    "cure_rate": "治愈率",
    "taboo": "禁忌",
    "check": "化验/体检方案",
    "cure_time": "治疗时间",
    "other": "其他",
}
SUB_INTENTS: Tuple[str, ...] = tuple(SUB_INTENT_NAMES_ZH)
OTHER_SUB_INTENT = "other"

# --- entity types: one per node label of the graph ---------------------------------------
GRAPH_LABELS: Tuple[str, ...] = tuple(schema.LABELS)  # "Disease", ...: what the graph calls them
ENTITY_TYPES: Tuple[str, ...] = tuple(label.lower() for label in GRAPH_LABELS)
ENTITY_TYPE_OF_LABEL: Dict[str, str] = dict(zip(GRAPH_LABELS, ENTITY_TYPES))
DISEASE = schema.DISEASE.lower()
SYMPTOM = schema.SYMPTOM.lower()

# --- the dev split every voting member is measured on ------------------------------------
# The voters weight each member by its accuracy on the same held-out examples, so the
# fraction and the seed are one setting, not one per component.
DEV_FRACTION = 0.1
DEV_SEED = 42
