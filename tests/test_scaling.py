"""The scaling benchmark (benchmarks/scaling.py) at a tiny size, and the analysis of its file
(benchmarks.scaling_study) on hand-made records whose growth is known."""
import math

import pytest

from benchmarks import scaling as benchmark
from benchmarks import scaling_study as scaling
from movierec_utils.models.baselines import EASE
from benchmarks.synthetic import synthetic_ratings

TINY = (60, 90, 2_400)  # users, movies, ratings: seconds, not minutes


@pytest.fixture
def tiny_size(monkeypatch):
    monkeypatch.setitem(benchmark.SIZES, "tiny", TINY)
    return "tiny"


def test_a_run_measures_an_epoch_an_evaluation_and_peak_memory(tiny_size):
    record = benchmark.measure("two_tower", tiny_size, max_epoch_minutes=10, probe_steps=2)
    assert record["train_ratings"] < TINY[2] and record["evaluated_users"] == TINY[0]
    assert 0 < record["epoch_seconds"] < record["fit_seconds"] + 1e-9
    assert record["evaluation_seconds"] > 0 and 0 <= record["ndcg_at_10"] <= 1
    assert record["peak_gib"] >= record["data_peak_gib"] > 0
    assert "projected" not in record


def test_a_too_long_epoch_is_projected_from_timed_steps_and_marked(tiny_size):
    record = benchmark.measure("gnn", tiny_size, max_epoch_minutes=-1, probe_steps=2)  # always
    probe = record["probe"]
    assert record["projected"] is True and "fit_seconds" not in record
    assert probe["steps_per_epoch"] == math.ceil(TINY[0] / 64)
    assert record["epoch_seconds"] == pytest.approx(
        probe["seconds_per_step"] * probe["steps_per_epoch"], rel=0.01, abs=0.1)
    assert record["evaluated_users"] == TINY[0]  # the initialised model is still ranked


def test_ease_over_its_memory_bound_records_the_refusal_and_fits_the_bounded_variant():
    train = synthetic_ratings(*TINY, seed=0)
    model, record = EASE(max_bytes=32 * 50**2), {}
    benchmark._fit_ease(model, train, record)
    assert "EASE on 90 movies needs" in record["refused"] and record["max_items"] == 50
    assert len(model.modelled_) == 50


def test_the_large_catalogue_variants_are_configured_as_documented():
    assert benchmark.make_model("two_tower_logq", 10_000, 2).get_params()["loss"] == "logq"
    adagrad = benchmark.make_model("two_tower_logq_adagrad", 10_000, 2).get_params()
    assert (adagrad["optimizer"], adagrad["batch_size"]) == ("adagrad", 1024)
    bpr = benchmark.make_model("gnn_bpr_16_steps", 10_001, 2).get_params()
    assert (bpr["loss"], bpr["batch_size"], bpr["epochs"]) == ("bpr", 626, 2)
    # every run has a label; the one label more reads records of a run no longer made (LightGCN
    # with the sparse S at every size: the model now always propagates sparsely)
    assert set(scaling.RUN_LABELS) - set(benchmark.RUNS) == {"gnn_bpr_16_steps_sparse"}


def fake_record(exponent: float, projected_at=(), dates=None) -> dict:
    """Epoch seconds ∝ ratings**exponent; evaluation seconds ∝ users (linear); movies ∝ users;
    peak memory 1 GB per 10M ratings; measured on the ``dates`` of each size (default: one)."""
    runs = []
    dates = dates or {}
    for size, ratings, users in (("1m", 1e6, 1e4), ("10m", 1e7, 1e5), ("25m", 2.5e7, 2.5e5)):
        runs.append({"run": "two_tower", "size": size, "train_ratings": ratings, "users": users,
                     "epoch_seconds": 1e-6 * ratings**exponent, "evaluated_users": users,
                     "movies": users / 10,
                     "evaluation_seconds": 1e-4 * users, "peak_gib": 1e-7 * ratings * 1e9 / 2**30,
                     "data_peak_gib": 0.5e-7 * ratings * 1e9 / 2**30,
                     "date": dates.get(size, "2026-12-03"), "host": "vm", "boot": "f288c77c",
                     **({"projected": True} if size in projected_at else {})})
    return {"runs": runs}


@pytest.mark.parametrize("exponent", [1.0, 1.5, 2.0])
def test_growth_and_fitted_exponents_recover_a_known_power_law(exponent):
    costs = scaling.cost_frame(fake_record(exponent))
    growth = scaling.growth(costs, "1m", "10m").loc["two_tower"]
    assert growth["training per rating"] == pytest.approx(10 ** (exponent - 1))
    assert growth["training per user"] == pytest.approx(10 ** (exponent - 1))  # users ∝ ratings
    assert growth["evaluation per user"] == pytest.approx(1.0)
    assert growth["evaluation per score"] == pytest.approx(0.1)  # 10× the movies, same seconds
    fitted = scaling.exponents(costs).loc["two_tower"]
    assert fitted["training time ~ ratings^"] == pytest.approx(exponent)
    assert fitted["evaluation time ~ users^"] == pytest.approx(1.0)
    assert fitted["peak memory ~ ratings^"] == pytest.approx(1.0)


def test_the_markdown_table_marks_projections_bounded_fits_and_failures():
    record = fake_record(1.0, projected_at=("25m",))
    record["runs"] += [{"run": "ease", "size": "25m", "train_ratings": 2.5e7,
                        "epoch_seconds": 120.0, "evaluated_users": 2.5e5, "movies": 2.5e4,
                        "evaluation_seconds": 300.0, "peak_gib": 9.5, "max_items": 16_384},
                       {"run": "dnn", "size": "25m", "failed": "exit 137: Killed"}]
    table = scaling.markdown_table(record)
    assert ("| Two-tower, full softmax (reported) | 1.0 / 1.0 / 0.1 | 10.0 / 10.0 / 1.0 | "
            "25.0 *p* / 25.0 / 2.5 | 2026-12-03 |") in table
    assert "120 *m* / 300 / 10.2 *o* | undated |" in table  # 9.5 GiB = 10.2 GB; no 10M cell
    assert "Not completed: dnn at 25m (exit 137: Killed)." in table
    assert scaling.growth(scaling.cost_frame(record), "10m", "25m").loc["two_tower", "projected"]


def test_costs_measured_on_another_day_or_by_the_bounded_ease_are_not_compared():
    record = fake_record(1.0, dates={"25m": "2026-12-04"})  # 25M re-measured elsewhere
    record["runs"] += [{**run, "run": "ease", "epoch_seconds": 1.0,
                        **({"max_items": 16_384} if run["size"] == "25m" else {})}
                       for run in fake_record(1.0)["runs"]]
    costs = scaling.cost_frame(record)
    kept = scaling.comparable(costs)
    assert set(kept.loc[kept["run"] == "two_tower", "size"].astype(str)) == {"1m", "10m"}
    assert set(kept.loc[kept["run"] == "ease", "size"].astype(str)) == {"1m", "10m"}
    assert scaling.exponents(costs).loc["two_tower", "fitted over"] == "1m, 10m"
    assert scaling.growth(costs, "10m", "25m").empty  # neither 25M row can be set against 10M
    table = scaling.cost_table(record).loc["Two-tower, full softmax (reported)"]
    assert table["measured"] == "2026-12-03 to 2026-12-04" and table["25M"].endswith(" *o*")
    assert not table["1M"].endswith(" *o*")


def test_a_host_name_repeated_by_another_machine_does_not_make_its_costs_comparable():
    record = fake_record(1.0)
    record["runs"][-1]["boot"] = "0d15ea5e"  # same day, same host name, another boot
    costs = scaling.cost_frame(record)
    assert "25m" not in set(scaling.comparable(costs)["size"].astype(str))


def test_the_table_of_docs_scaling_matches_results_json():
    from tools.readme import block

    text = benchmark.DOC.read_text(encoding="utf-8")
    assert block(text, "scaling") == scaling.markdown_table(scaling.load_scaling())


def test_a_doc_without_the_scaling_markers_is_refused(tmp_path, monkeypatch):
    page = tmp_path / "scaling.md"
    page.write_text("no markers here")
    monkeypatch.setattr(benchmark, "DOC", page)
    with pytest.raises(ValueError, match="no markers"):
        benchmark.update_doc()
    assert page.read_text() == "no markers here"
