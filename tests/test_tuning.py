"""The search (benchmarks/tune.py) and its reader (movierec_utils.tuning), on small inputs."""
import numpy as np
import optuna
import pytest

from benchmarks import tune
from movierec_utils import tuning
from movierec_utils.models import MODELS


@pytest.mark.parametrize("name", list(tune.SPACES))
def test_the_first_trial_is_the_class_default_and_lies_in_the_space(name):
    """Trial 0 replays the defaults: its parameters are a point of the space that builds them."""
    settings = tune.SPACES[name](optuna.trial.FixedTrial(tune.default_trial(name)))
    defaults = MODELS[name]().get_params()
    assert {key: defaults[key] for key in settings} == settings


def test_a_study_scores_on_validation_only_and_records_every_trial(synthetic):
    train_fit, valid, train, _ = tune.split_parts(synthetic, "42")
    result = tune.run_study("ease", "42", (train_fit, valid, train, None), n_trials=4)  # no test
    assert result["n_trials"] == len(result["trials"]) == 4
    assert result["trials"][0]["settings"] == {"l2": MODELS["ease"]().l2}
    best = max(result["trials"], key=lambda row: row["valid_ndcg"])
    assert result["best_valid_ndcg"] == best["valid_ndcg"]
    assert result["chosen"] == best["settings"]
    expected = MODELS["ease"](**best["settings"]).fit(train_fit).evaluate(valid)["ndcg@10"]
    assert best["valid_ndcg"] == round(expected, 6)


def test_the_time_split_of_the_search_leaves_the_future_out(synthetic):
    ratings = synthetic.assign(timestamp=np.arange(len(synthetic)))
    train_fit, valid, train, test = tune.split_parts(ratings, "time")
    assert train_fit["timestamp"].max() < valid["timestamp"].min()
    assert train["timestamp"].max() < test["timestamp"].min()
    assert len(train_fit) + len(valid) == len(train)


RECORD = {"studies": {
    "gnn | 42": {"model": "gnn", "split": "42", "n_trials": 3, "n_pruned": 1, "best_trial": 2,
                 "best_valid_ndcg": 0.25, "default_valid_ndcg": 0.2, "seconds": 90.0,
                 "chosen": {"n_layers": 2, "l2": 0.01, "epochs": 12},
                 "trials": [
                     {"trial": 0, "settings": {"n_layers": 3, "l2": 0.01}, "state": "complete",
                      "valid_ndcg": 0.2, "best_epoch": 30, "seconds": 5.0},
                     {"trial": 1, "settings": {"n_layers": 1, "l2": 0.1}, "state": "pruned",
                      "valid_ndcg": 0.1, "epochs_run": 5, "seconds": 1.0},
                     {"trial": 2, "settings": {"n_layers": 2, "l2": 0.01}, "state": "complete",
                      "valid_ndcg": 0.25, "best_epoch": 10, "seconds": 4.0}]}}}


def test_the_reader_tables_a_study_against_its_choice(monkeypatch):
    monkeypatch.setattr(tuning, "load_tuning", lambda: RECORD)
    table = tuning.trials_table("gnn", top=2)
    assert list(table.index) == [2, 0]  # the best two, trial 0 among them
    assert table.loc[2, "n_layers"] == "2" and table.loc[0, "state"] == "complete"
    assert tuning.trials_table("gnn", top=1).index.tolist() == [2, 0]  # trial 0 always shown
    assert tuning.trials_table("gnn", top=3).loc[1, "state"] == "pruned at epoch 5"
    assert tuning.chosen("gnn") == {"n_layers": 2, "l2": 0.01, "epochs": 12}
    assert tuning.changes("gnn", tuning.chosen("gnn"), {"n_layers": 3, "l2": 0.01}) \
        == "12 epochs, n_layers 2"
    assert "trial 2's settings" in tuning.summary_sentence("gnn")
    assert tuning.searched_splits("gnn") == {"42"}
    with pytest.raises(KeyError, match=r"no study 'gnn \| time'.*--models gnn --splits time"):
        tuning.study("gnn", "time")
