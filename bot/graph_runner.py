"""Rasa's prediction graph run node by node in a fixed order, without dask's scheduler.

Why: Rasa 3.6 runs the prediction graph (the NLU pipeline for every message, the policies
for every action) through ``dask.get``: each run rebuilds the minimal schema and a dask
graph, orders it and schedules every node through dask's synchronous executor with futures
and callbacks. For a graph that is a dozen nodes in a line that bookkeeping was 1.8 ms of an
18 ms parse on this machine (``python -m bot bench parse``), about as much as the five
smallest components together. The graph of a loaded model never changes, so
:class:`SequentialGraphRunner` works out the order once per set of targets (and input
names) and then calls each node exactly as dask does: with the outputs of the nodes it
needs, as ``(name, output)`` pairs, an input as ``(name, value)``, and a name nothing
provides as the bare name (which ``GraphNode`` reports). Errors surface as before
(``GraphRunError`` for a ``RuntimeError``, anything else as raised).

Where it is used: :func:`install` replaces the runner class ``MessageProcessor`` creates
when it loads a model (``rasa.core.processor.DaskGraphRunner``); :mod:`bot.rasa_patches`
installs it in every Rasa process this project starts. Training keeps Rasa's dask runner
(``rasa.model_training`` imports its own reference), with its caching and hooks.

Early start: once the node that makes the NLU messages has run (the first in the plan), every
component of the plan with a ``start_early(messages)`` method is told, so one that reads the text alone
(the TinyBERT-RNN main-intent classifier) scores it on a worker thread while the extractors
and the sub-intent members run; its node then collects the result. The order of the nodes
and what each receives are unchanged.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Sequence, Tuple

import rasa.core.processor
from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import ExecutionContext, GraphNodeHook, GraphSchema
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message

logger = logging.getLogger(__name__)

Plan = List[Tuple[str, Tuple[str, ...]]]  # (node, the names it needs, in argument order)
MAX_PLANS = 64  # distinct (targets, inputs) combinations kept; Rasa uses a handful


class SequentialGraphRunner(DaskGraphRunner):
    """``DaskGraphRunner`` with the same results, nodes called in a cached topological order."""

    def __init__(
        self,
        graph_schema: GraphSchema,
        model_storage: ModelStorage,
        execution_context: ExecutionContext,
        hooks: Optional[List[GraphNodeHook]] = None,
    ) -> None:
        super().__init__(graph_schema, model_storage, execution_context, hooks)
        self._plans: Dict[Tuple[Tuple[str, ...], Tuple[str, ...]], Plan] = {}
        self._schemas: Dict[Tuple[str, ...], GraphSchema] = {}
        self._early: Dict[int, Tuple[Plan, List[Any]]] = {}

    def _schema_for(self, targets: Sequence[str]) -> GraphSchema:
        """The minimal graph of ``targets`` (cached): what dask's graph holds before the inputs."""
        key = tuple(targets)
        schema = self._schemas.get(key)
        if schema is None:
            schema = self._graph_schema.minimal_graph_schema(list(targets))
            if len(self._schemas) < MAX_PLANS:
                self._schemas[key] = schema
        return schema

    def plan(self, targets: Sequence[str], input_names: Sequence[str] = ()) -> Plan:
        """The nodes to call for ``targets``, each after the nodes it needs (inputs replace
        nodes of the same name, as in dask)."""
        key = (tuple(targets), tuple(sorted(input_names)))
        cached = self._plans.get(key)
        if cached is not None:
            return cached
        schema = self._schema_for(targets)
        given = set(input_names)
        ordered: Plan = []
        done: set = set()
        for root in schema.nodes:  # schema order among independent nodes, then post-order
            stack: List[Tuple[str, bool]] = [(root, False)]
            while stack:
                name, expanded = stack.pop()
                if name in done or name in given or name not in schema.nodes:
                    continue
                needs = tuple(schema.nodes[name].needs.values())
                if expanded:
                    done.add(name)
                    ordered.append((name, needs))
                    continue
                stack.append((name, True))
                stack.extend((need, False) for need in reversed(needs) if need not in done)
        if len(self._plans) < MAX_PLANS:
            self._plans[key] = ordered
        return ordered

    def _early_starters(self, plan: Plan) -> List[Any]:
        """The components in ``plan`` that can begin on a message before their node runs (a
        ``start_early(messages)`` method, e.g. a classifier that reads the text alone; see
        ``neural/classifier.py``). Called when the first node that outputs messages has run."""
        key = id(plan)
        cached = self._early.get(key)
        if cached is None or cached[0] is not plan:
            components = [getattr(self._instantiated_nodes[name], "_component", None) for name, _ in plan]
            cached = (plan, [c for c in components if callable(getattr(c, "start_early", None))])
            if len(self._early) < MAX_PLANS:
                self._early[key] = cached
        return list(cached[1])

    def run(
        self,
        inputs: Optional[Dict[str, Any]] = None,
        targets: Optional[List[str]] = None,
    ) -> Dict[str, Any]:
        """Runs the graph (see ``GraphRunner.run``)."""
        run_targets = list(targets) if targets else list(self._graph_schema.target_names)
        inputs = inputs or {}
        values: Dict[str, Any] = {}
        needed = self._schema_for(run_targets).nodes
        for name, value in inputs.items():  # dask's graph: the needed nodes, then each input
            if isinstance(value, str) and (value in needed or value == name or value in values):
                raise GraphRunError(
                    f"Input value '{value}' clashes with a node name. Make sure that none of the "
                    f"input names passed to the `run` method are the same as node names in the graph schema."
                )
            values[name] = (name, value)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                f"Running graph with inputs: {inputs}, targets: {targets} and {self._execution_context}."
            )
        plan = self.plan(run_targets, list(inputs))
        early = self._early_starters(plan)
        try:
            for name, needs in plan:
                values[name] = output = self._instantiated_nodes[name](
                    *[values.get(need, need) for need in needs]
                )
                if early and _messages(output):
                    _start_early(early, output[1])  # the text exists now: text-only scores can begin
                    early = []
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e
        return dict(values[target] for target in run_targets)


def _start_early(components: List[Any], messages: List[Message]) -> None:
    """Tell each component the messages exist; a failure only costs the head start (the node
    computes its output itself when it runs)."""
    for component in components:
        try:
            component.start_early(messages)
        except Exception as exc:  # an optimisation only: never a reason for a parse to fail
            logger.debug("%s: no early start (%s)", type(component).__name__, exc)


def _messages(output: Any) -> bool:
    """Whether a node's ``(name, value)`` output carries a non-empty list of NLU messages."""
    value = output[1] if isinstance(output, tuple) and len(output) == 2 else None
    return isinstance(value, list) and bool(value) and isinstance(value[0], Message)


def install() -> None:
    """Make ``MessageProcessor`` load models into :class:`SequentialGraphRunner` (idempotent)."""
    rasa.core.processor.DaskGraphRunner = SequentialGraphRunner


def installed() -> bool:
    return rasa.core.processor.DaskGraphRunner is SequentialGraphRunner
