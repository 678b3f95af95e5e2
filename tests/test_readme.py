"""README's generated blocks (headline, results table and verdicts) are written by `make report`
from results/summary.json and must agree with it."""
import pytest

from movierec_utils.paths import project_root
from movierec_utils.results import read_results_file
from tools import readme as readme_blocks

README = project_root() / "README.md"


@pytest.fixture(scope="module")
def summary_record():
    path = project_root() / "results" / "summary.json"
    if not path.is_file():
        pytest.fail("results/summary.json is missing: run `make report` (notebook 04 writes it)")
    return read_results_file(path)


def test_readme_has_the_markers_of_every_generated_block():
    readme_blocks.check_markers(README)


@pytest.mark.parametrize("name", readme_blocks.BLOCKS)
def test_each_generated_block_matches_summary_json(summary_record, name):
    text = README.read_text(encoding="utf-8")
    expected = readme_blocks.generated_blocks(summary_record)[name]
    assert readme_blocks.block(text, name) == expected, \
        f"README's {name} block is stale: run `make report` (it rewrites the block)"


def test_a_readme_without_markers_is_refused_naming_the_blocks(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("no markers")
    with pytest.raises(readme_blocks.ReadmeError, match="no markers for the generated block"
                                                        r"\(s\) headline, results"):
        readme_blocks.check_markers(readme)


def test_the_headline_words_its_verdict_by_the_one_rule_in_summary():
    from movierec_utils import summary

    models = {name: {metric: {"mean": mean, "std": 0.01} for metric in summary.TABLE_METRICS}
              for name, mean in (("ease", 0.47), ("two_tower", 0.49), ("gnn", 0.46))}
    record = {"split_seeds": [42, 1, 2], "models": models, "best_neural_model": "two_tower"}
    assert "—" not in readme_blocks.headline(record)  # no paired tests: no verdict claimed
    record["versus_ease"] = [
        {"model": label, "split seed": seed, "mean difference": difference, "Wilcoxon p": p}
        for label, difference in (("Two-tower (01)", 0.02), ("LightGCN (02)", -0.01))
        for seed, p in ((42, 0.01), (1, 0.02), (2, 0.3))]
    words = {row["model"]: row["verdict"] for row in summary.verdicts_against("ease", record)}
    assert words["two_tower"] == "better than EASE"
    headline = readme_blocks.headline(record)
    assert ("the best neural model, Two-tower (01), scores 0.490 ± 0.010 — significantly better on "
            "2 and worse on 0 of 3 splits by paired per-user tests: **better than EASE** by the "
            "repository's rule") in headline


def test_the_headline_adds_the_time_split_when_notebook_04_recorded_it():
    from movierec_utils import summary

    models = {name: {metric: {"mean": mean, "std": 0.01} for metric in summary.TABLE_METRICS}
              for name, mean in (("ease", 0.47), ("two_tower", 0.49), ("gnn", 0.46))}
    record = {"split_seeds": [42, 1, 2], "models": models, "best_neural_model": "two_tower",
              "time_split": {"test_ratio": 0.2, "warm_test_users": 109,
                             "metrics": {"ease": {"ndcg@10": 0.2}, "two_tower": {"ndcg@10": 0.18},
                                         "gnn": {"ndcg@10": 0.21}},
                             "versus_ease": {"two_tower": {"Wilcoxon p": 0.01},
                                             "gnn": {"Wilcoxon p": 0.3}}}}
    assert readme_blocks.headline(record).endswith(
        "On a split by time (the latest 20% of ratings held out; 109 test users with training ratings) "
        "EASE scores 0.200 and the best neural model, LightGCN (02), 0.210 (paired p = 0.3).")
