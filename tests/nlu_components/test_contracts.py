"""Pipeline contracts: config.yml's order, Rasa's graph validation, config validation."""

import importlib
from pathlib import Path

import pytest
import yaml
from rasa.shared.exceptions import InvalidConfigException

from core.paths import PROJECT_ROOT
from intents.char_ngram_classifier import CharNgramClassifier
from intents.ensemble_voter import EnsembleVoter
from intents.template_matcher import TemplateMatcher
from slots.aho_corasick_extractor import AhoCorasickExtractor
from slots.bert_bilstm_crf_extractor import BertBiLstmCrfExtractor
from slots.entity_linker import EntityLinker

CONFIG = PROJECT_ROOT / "config.yml"


def pipeline():
    """``(class, entry)`` per component of config.yml, in order."""
    entries = yaml.safe_load(Path(CONFIG).read_text(encoding="utf-8"))["pipeline"]
    out = []
    for entry in entries:
        module, _, name = entry["name"].rpartition(".")
        out.append((getattr(importlib.import_module(module), name), entry))
    return out


def test_every_component_comes_after_what_it_runs_after():
    seen = []
    for component, entry in pipeline():
        runs_after = getattr(component, "runs_after", None)
        needed = runs_after(entry) if runs_after else []
        for required in list(needed) + list(component.required_components()):
            assert any(issubclass(earlier, required) for earlier in seen), (
                f"{entry['name']} must come after a {required.__name__}"
            )
        seen.append(component)


def test_config_yml_passes_rasa_graph_validation():
    """Rasa checks ``required_components`` in both graphs (a trainable component's train node
    sees only tokenizers/featurizers before it, which is why the order contract is runs_after)."""
    import rasa.shared.utils.io
    from rasa.engine import validation
    from rasa.engine.recipes.recipe import Recipe
    from rasa.shared.data import TrainingType

    config = rasa.shared.utils.io.read_model_configuration(str(CONFIG))
    recipe = Recipe.recipe_for_name(config.get("recipe"))
    validation.validate(recipe.graph_config_for_recipe(config, {}, training_type=TrainingType.NLU))


@pytest.mark.parametrize(
    "component,config,message",
    [
        (TemplateMatcher, {"dev_fraction": 1.0}, "dev_fraction"),
        (TemplateMatcher, {"dev_fraction": -0.1}, "dev_fraction"),
        (TemplateMatcher, {"match_confidence": 0.0}, "match_confidence"),
        (EnsembleVoter, {"target": "mood"}, "target"),
        (EnsembleVoter, {"default_weight": -1}, "default_weight"),
        (CharNgramClassifier, {"ngram_range": [3, 1]}, "ngram_range"),
        (CharNgramClassifier, {"C": 0}, "C"),
        (CharNgramClassifier, {"seed": "42"}, "seed"),
        (AhoCorasickExtractor, {"labels": ["Illness"]}, "unknown labels"),
        (EntityLinker, {"scan_entity_types": ["illness"]}, "scan_entity_types"),
        (EntityLinker, {"fuzzy_threshold": 1.5}, "fuzzy_threshold"),
        (EntityLinker, {"scan_max_substitutions": -1}, "scan_max_substitutions"),
        (BertBiLstmCrfExtractor, {"entity_types": ["disease", "illness"]}, "entity_types"),
        (BertBiLstmCrfExtractor, {"min_confidence": 2}, "min_confidence"),
        (BertBiLstmCrfExtractor, {"dev_fraction": 1}, "dev_fraction"),
    ],
)
def test_bad_settings_are_invalid_config(component, config, message):
    args = (config,) if component in (TemplateMatcher, EnsembleVoter) else (config, None, None)
    with pytest.raises(InvalidConfigException, match=message):
        component(*args)


def test_defaults_are_merged_and_the_dev_split_is_one_setting():
    from core.vocabulary import DEV_FRACTION, DEV_SEED

    for component in (TemplateMatcher, CharNgramClassifier, BertBiLstmCrfExtractor):
        config = component.get_default_config()
        assert (config["dev_fraction"], config["seed"]) == (DEV_FRACTION, DEV_SEED), component
    assert AhoCorasickExtractor({}, None, None).config == AhoCorasickExtractor.get_default_config()
    assert BertBiLstmCrfExtractor({}, None, None).config == BertBiLstmCrfExtractor.get_default_config()
