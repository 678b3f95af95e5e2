"""The one rule for "better / worse / tie" (movierec_utils.summary), used by notebook 04, the
README and the book, on hand-made per-split tests whose verdict is known."""
import pytest

from movierec_utils import summary
from movierec_utils.models import MODELS


def record(tests: dict[str, list[tuple[float, float]]], n_splits: int = 3) -> dict:
    """A summary whose models have the given (mean difference, Wilcoxon p) on each split."""
    models = {"ease": {"ndcg@10": {"mean": 0.47, "std": 0.0}}}
    rows = []
    for name, per_split in tests.items():
        models[name] = {"ndcg@10": {"mean": 0.47 + sum(d for d, _ in per_split) / n_splits,
                                    "std": 0.0}}
        rows += [{"model": name, "split seed": seed, "mean difference": d, "Wilcoxon p": p}
                 for seed, (d, p) in enumerate(per_split)]
    return {"split_seeds": list(range(n_splits)), "models": models,
            "versus_baseline": {"baseline": "ease", "tests": rows}}


@pytest.mark.parametrize("better, worse, word", [
    (2, 0, "better than EASE"), (0, 2, "worse than EASE"), (0, 0, "a tie with EASE"),
    (1, 0, "not better than EASE"), (0, 1, "not better than EASE"), (1, 1, "not better than EASE"),
])
def test_the_verdict_words_of_split_counts(better, worse, word):
    assert summary.verdict_word(better, worse, 3) == word


def test_a_split_counts_only_when_significant_and_its_sign_decides_the_side():
    rows = summary.verdicts_against("ease", record({
        "two_tower": [(+0.01, 0.01), (+0.01, 0.20), (-0.01, 0.049)],  # better 1, worse 1
        "gnn": [(-0.01, 0.001), (-0.02, 0.01), (+0.01, 0.5)],          # worse on 2 of 3
        "dnn": [(+0.03, 0.06), (-0.03, 0.06), (0.0, 1.0)],             # nothing significant
    }))
    verdicts = {row["model"]: (row["splits better"], row["splits worse"], row["verdict"])
                for row in rows}
    assert verdicts == {"two_tower": (1, 1, "not better than EASE"),
                        "gnn": (0, 2, "worse than EASE"), "dnn": (0, 0, "a tie with EASE")}
    text = summary.verdict_against("ease", record({"gnn": [(-0.01, 0.001)] * 3}))
    assert "LightGCN (02)" in text and "**worse than EASE**" in text


def test_a_summary_without_tests_against_the_baseline_is_an_error_naming_it():
    with pytest.raises(KeyError, match="popularity"):
        summary.verdicts_against("popularity", record({"gnn": [(0.0, 1.0)] * 3}))


def test_summaries_written_before_the_rule_moved_here_still_give_verdicts():
    old = {"split_seeds": [42, 1, 2],
           "models": {"ease": {"ndcg@10": {"mean": 0.47}}, "dnn": {"ndcg@10": {"mean": 0.45}}},
           "versus_ease": [{"model": "Deep model with features (03)", "split seed": s,
                            "mean difference": -0.02, "Wilcoxon p": 0.001} for s in (42, 1, 2)]}
    assert summary.verdicts_against("ease", old)[0]["verdict"] == "worse than EASE"


def test_ease_without_notebook_00s_choice_falls_back_to_the_class_default(monkeypatch):
    monkeypatch.setattr(summary, "load_results", lambda name, published=False: None)
    assert MODELS["ease"](**summary.reported_configuration("ease", MODELS["ease"])).l2 == \
        MODELS["ease"]().l2


def test_the_reported_configuration_is_the_published_one_not_a_scratch_run(tmp_path, monkeypatch):
    """A student's run writes results to the scratch folder; benchmarks time what was published."""
    root, scratch = tmp_path / "project", tmp_path / "scratch"
    (root / "results").mkdir(parents=True)
    (scratch / "results").mkdir(parents=True)
    (root / "results" / "two_tower.json").write_text('{"parameters": {"epochs": 42}}')
    (scratch / "results" / "two_tower.json").write_text('{"parameters": {"epochs": 7}}')
    monkeypatch.setenv("MOVIEREC_ROOT", str(root))
    monkeypatch.setenv("MOVIEREC_OUTPUT_ROOT", str(scratch))
    assert summary.reported_configuration("two_tower", MODELS["two_tower"]) == {"epochs": 42}
