"""The one results reader and writer: provenance in every file, a damaged file named."""
import json
import re

import pytest

from movierec_utils import results


@pytest.fixture
def outputs(tmp_path, monkeypatch):
    monkeypatch.setenv("MOVIEREC_OUTPUT_ROOT", str(tmp_path))
    return tmp_path / "results"


def test_every_results_file_records_its_day_machine_and_commit(outputs):
    results.save_results("demo", {"ndcg@10": 0.5})
    written = json.loads((outputs / "demo.json").read_text())
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", written["written"])
    assert written["machine"]["cpus"] == results.cpu_count() >= 1
    assert written["commit"] == "unknown" or re.fullmatch(r"[0-9a-f]{12}(\+dirty)?",
                                                          written["commit"])
    assert written["versions"]["python"]


@pytest.mark.parametrize("content, says", [
    ("{\"metrics\": {", "is damaged"), ("", "is damaged"), (b"\xff\xfe", "is damaged"),
    ("[1, 2]", "holds a JSON list, not a results record")])
def test_a_damaged_results_file_is_named(outputs, content, says):
    outputs.mkdir(parents=True)
    path = outputs / "baselines.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(results.ResultsFileError) as raised:
        results.load_results("baselines")
    message = str(raised.value)
    assert str(path) in message and says in message
    assert "git checkout -- results/baselines.json" in message or "git checkout" in message


def test_a_missing_results_file_is_none(outputs):
    assert results.load_results("no_such_results") is None
