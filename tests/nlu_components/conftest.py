"""Tiny training data and tiny model sizes for fast component tests."""

from __future__ import annotations

from typing import Any, Dict, Type

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader
from rasa.shared.nlu.training_data.training_data import TrainingData

# A handful of examples per intent; diagnosis examples carry the sub-intent as metadata,
# entities use both markup styles (as data/nlu does).
TRAINING_YAML = """
version: "3.1"
nlu:
- intent: greet
  examples: |
    - 你好
    - 您好
    - 你好呀
    - 早上好
    - 嗨
    - 在吗
- intent: goodbye
  examples: |
    - 再见
    - 拜拜
    - 下次见
    - 先走了
    - 再见啦
    - 回头见
- intent: diagnosis
  metadata:
    sub_intent: symptom
  examples: |
    - [感冒](disease)有什么症状
    - [肺炎](disease)的症状是什么
    - [胃炎](disease)有哪些症状
    - [高血压](disease)会有什么症状
    - [糖尿病](disease)的症状
    - [哮喘](disease)都有啥症状
- intent: diagnosis
  metadata:
    sub_intent: treatment
  examples: |
    - [感冒](disease)怎么治疗
    - [肺炎](disease)要怎么治疗
    - [胃炎](disease)如何治疗
    - [高血压](disease)怎么治
    - [糖尿并]{"entity": "disease", "value": "糖尿病"}的治疗方法
    - [哮喘](disease)该怎么治疗
"""

# Sizes small enough that training takes a second or two.
TINY: Dict[str, Any] = {
    "hidden_size": 32,
    "num_layers": 1,
    "num_heads": 2,
    "intermediate_size": 64,
    "max_length": 32,
    "batch_size": 8,
    "learning_rate": 3e-3,
    "patience": 10,
    "dev_fraction": 0.0,
    "char_dropout": 0.0,
    # full precision, so the onnxruntime path can be checked against torch exactly; the int8
    # default has its own tests (test_onnx_inference.py)
    "inference_precision": "fp32",
}


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread():
    """Tiny models gain nothing from threads, and pytest may share the CPU with others."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def training_data() -> TrainingData:
    return RasaYAMLReader().reads(TRAINING_YAML)


@pytest.fixture
def storage(tmp_path) -> LocalModelStorage:
    (tmp_path / "storage").mkdir()
    return LocalModelStorage(tmp_path / "storage")


@pytest.fixture(scope="session")
def context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), "test-model")


def tiny_config(component: Type, **overrides: Any) -> Dict[str, Any]:
    return {**component.get_default_config(), **TINY, **overrides}


def train_and_load(
    component: Type,
    config: Dict[str, Any],
    training_data: TrainingData,
    storage: LocalModelStorage,
    context: ExecutionContext,
    name: str = "component",
):
    """``create`` + ``train`` (which persists), then ``load`` a fresh instance from storage."""
    resource = Resource(name)
    trained = component.create(config, storage, resource, context)
    trained.train(training_data)
    return trained, component.load(config, storage, resource, context)
