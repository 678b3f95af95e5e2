"""The reported configuration is each model's default: what the search (benchmarks/tune.py) and
notebooks 01-03 chose on validation
(saved in results/<name>.json) is what `MODELS[name]()` builds, so notebook 04, the README's
example and the benchmarks train the reported models. (The notebooks only note a mismatch, so
that an exercise's edit does not stop them.)"""
import pytest

from movierec_utils.models import MODELS
from movierec_utils.results import load_results


@pytest.mark.parametrize("name", ["two_tower", "gnn", "dnn"])
def test_the_notebooks_choice_is_the_class_default(name):
    chosen = load_results(name)["parameters"]
    defaults = MODELS[name]().get_params()
    differing = {key: (chosen[key], value) for key, value in defaults.items()
                 if key in chosen and chosen[key] != (list(value) if isinstance(value, tuple)
                                                      else value)}
    assert not differing, f"results/{name}.json (chosen) vs class defaults: {differing}"


def test_ease_default_is_notebook_00s_choice():
    assert load_results("baselines")["parameters"]["ease_l2"] == MODELS["ease"]().l2


@pytest.mark.parametrize("name", ["ease", "two_tower", "gnn", "dnn"])
def test_the_class_defaults_are_what_the_search_chose_on_split_seed_42(name):
    from movierec_utils import tuning

    defaults = MODELS[name]().get_params()
    differing = {key: (value, defaults[key]) for key, value in tuning.chosen(name, "42").items()
                 if defaults[key] != value}
    assert not differing, f"results/tuning.json's choice vs class defaults: {differing}"
