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


def test_a_lesson_reading_a_benchmark_is_told_when_the_code_has_changed(outputs, monkeypatch):
    """notebook.benchmark_record: the recorded digest of the module is compared with its source."""
    from movierec_utils import notebook
    from movierec_utils.models import baselines

    said = []
    monkeypatch.setattr(notebook, "say", said.append)
    with pytest.raises(FileNotFoundError, match=r"python benchmarks/demo_benchmark\.py"):
        notebook.benchmark_record("demo_benchmark", baselines)
    results.save_results("demo_benchmark", {}, baselines_code_sha256=results.code_digest(baselines))
    assert notebook.benchmark_record("demo_benchmark", baselines)["name"] == "demo_benchmark"
    assert said == []
    results.save_results("demo_benchmark", {}, baselines_code_sha256="0" * 64)
    notebook.benchmark_record("demo_benchmark", baselines)
    assert len(said) == 1 and "`baselines.py`" in said[0] and "benchmarks/demo_benchmark.py" in said[0]
