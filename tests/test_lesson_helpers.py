"""The small helpers the lessons share: what each promises in its docstring."""
import json

import matplotlib
import numpy as np
import pandas as pd
import pytest

from movierec_utils import notebook, plotting
from movierec_utils.features import encode_users, user_vocabularies
from movierec_utils.interactions import IdIndex
from movierec_utils.settings import check_layer_widths, check_subset

matplotlib.use("Agg")


def test_saved_test_rows_read_only_published_results(tmp_path, monkeypatch):
    """A student's scratch run (other parameters, perhaps) must never stand in for a lesson's
    published result in another lesson's table."""
    published, scratch = tmp_path / "checkout", tmp_path / "scratch"
    for root, ndcg in ((published, 0.47), (scratch, 0.11)):
        (root / "results").mkdir(parents=True)
        (root / "results" / "gnn.json").write_text(
            json.dumps({"metrics": {"test": {"ndcg@10": ndcg}}}))
    (published / "results" / "baselines.json").write_text(
        json.dumps({"metrics": {"ease": {"ndcg@10": 0.475}}}))
    monkeypatch.setenv("MOVIEREC_ROOT", str(published))
    monkeypatch.setenv("MOVIEREC_OUTPUT_ROOT", str(scratch))
    rows = notebook.saved_test_rows({"gnn": "LightGCN (02)", "baselines": "EASE (00)",
                                     "dnn": "deep model (03)"})
    assert rows == {"LightGCN (02)": {"ndcg@10": 0.47}, "EASE (00)": {"ndcg@10": 0.475}}


def test_bootstrap_interval_covers_the_mean_and_repeats_with_the_seed():
    differences = np.random.default_rng(0).normal(0.01, 0.05, size=400)
    low, high = notebook.bootstrap_interval(differences, 2000, np.random.default_rng(1))
    assert low < differences.mean() < high
    assert (low, high) == notebook.bootstrap_interval(differences, 2000, np.random.default_rng(1))
    assert notebook.bootstrap_interval(np.zeros(50), 100, np.random.default_rng(1)) == (0.0, 0.0)


def test_encode_users_derives_the_zip_prefix_from_the_zip_code():
    users = pd.DataFrame({"bucketized_user_age": [18, 50], "user_gender": ["F", "M"],
                          "user_occupation_label": [3, 3], "user_zip_code": ["55455", "10003"]},
                         index=pd.Index(["u1", "u2"], name="user_id"))
    with_prefix = users.assign(zip_prefix=["55", "10"])
    vocabularies = user_vocabularies(with_prefix)
    index = IdIndex(pd.Series(["u1"]), "user id")
    derived, given = (encode_users(frame, index, vocabularies) for frame in (users, with_prefix))
    assert all(np.array_equal(derived[name], given[name]) for name in given)
    assert derived["id"].tolist() == [1, 0]  # u2 is unknown to the index


@pytest.mark.parametrize("widths, message", [(64, "must be a tuple of layer widths"),
                                             ((64, 0), r"units\[1\]")])
def test_layer_widths_are_checked(widths, message):
    with pytest.raises(ValueError, match=message):
        check_layer_widths("units", widths)
    assert check_layer_widths("units", [64, 32]) == (64, 32)


@pytest.mark.parametrize("given", ["id", (), ("id", "shoe size")])
def test_a_subset_must_be_a_non_empty_tuple_of_allowed_names(given):
    with pytest.raises(ValueError, match="give a non-empty tuple from"):
        check_subset("features", given, ("id", "age"))
    assert check_subset("features", ["age"], ("id", "age")) == ("age",)


def test_learning_curves_name_the_model_and_mark_the_kept_epoch():
    class Fitted:
        history_ = [{"epoch": e, "loss": 5.0 / e, "valid_ndcg@10": 0.1 + e / 100,
                     "valid_recall@10": 0.1 + e / 200} for e in range(1, 6)]
        best_epoch_ = 4

    fig = plotting.learning_curves(Fitted(), "Toy model", "#123456", "loss, nats")
    titles = [axis.get_title() for axis in fig.axes]
    assert titles == ["Toy model: training loss", "Toy model: validation"]
    assert fig.axes[0].get_ylabel() == "loss, nats"
    assert any("best epoch (4, kept)" in text.get_text()
               for text in fig.axes[1].get_legend().get_texts())
