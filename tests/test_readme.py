"""README's results table is generated from results/summary.json and must agree with it."""
import pytest

from movierec_utils import summary
from movierec_utils.paths import project_root


def test_readme_results_table_matches_summary_json():
    path = project_root() / "results" / "summary.json"
    if not path.is_file():
        pytest.fail("results/summary.json is missing: run `make report` (notebook 04 writes it)")
    assert summary.readme_block() == summary.readme_table(summary.load_summary(path))


def test_update_readme_rewrites_only_the_marked_block(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{summary.README_START}\nold\n{summary.README_END}\noutro\n")
    record = {"split_seeds": [1, 2], "models": {"ease": {
        m: {"mean": 0.5, "std": 0.01} for m in summary.TABLE_METRICS}}}
    assert summary.update_readme(record, readme)
    text = readme.read_text()
    assert text.startswith("intro\n") and text.endswith("outro\n") and "old" not in text
    assert "| EASE | 0.500 ± 0.010 |" in text
    assert summary.readme_block(readme) == summary.readme_table(record)


def test_update_readme_refuses_a_readme_without_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("no markers")
    with pytest.raises(ValueError, match="has no markers"):
        summary.update_readme({"split_seeds": [], "models": {}}, readme)
