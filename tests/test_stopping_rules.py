"""The offline analysis of benchmarks/stopping_rules.py on hand-made validation curves."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "stopping_rules.py"
spec = importlib.util.spec_from_file_location("stopping_rules", SCRIPT)
stopping_rules = importlib.util.module_from_spec(spec)
spec.loader.exec_module(stopping_rules)


def peaked(peak: int, n: int = 60, height: float = 0.2) -> np.ndarray:
    """Rises to ``height`` at epoch ``peak`` (1-based), then falls; no ties."""
    epochs = np.arange(1, n + 1)
    return height - 1e-4 * np.abs(epochs - peak) - 1e-7 * epochs


def test_patience_stops_patience_epochs_after_the_peak_and_chooses_it():
    curve = peaked(12)
    assert stopping_rules.patience_rule(curve, 5) == (12, 17)
    assert stopping_rules.patience_rule(curve, 10) == (12, 22)
    assert stopping_rules.RULES["patience 20"](curve) == (12, 32)
    assert stopping_rules.RULES["patience inf"](curve) == (12, len(curve))


def test_a_plateau_is_no_improvement_so_the_first_epoch_is_chosen():
    flat = np.full(30, 0.2)
    assert stopping_rules.patience_rule(flat, 5) == (1, 6)
    # a peak reached inside the budget but after a long wait: only long patience sees it
    late = np.concatenate([np.full(8, 0.1), [0.2], np.full(20, 0.1)])
    assert stopping_rules.patience_rule(late, 5) == (1, 6)
    assert stopping_rules.patience_rule(late, 10) == (9, 19)


def test_the_moving_average_ignores_a_one_epoch_spike_and_chooses_the_window_centre():
    curve = peaked(20, n=50)
    curve[4] = 0.2005  # a one-epoch spike at 5: raw patience 10 takes it and stops at 15
    assert stopping_rules.patience_rule(curve, 10) == (5, 15)
    chosen, stop = stopping_rules.moving_average_rule(curve, 3, 10)
    # the trailing 3-epoch mean is best for the window ending at 21 (epochs 19-21) -> centre 20
    assert (chosen, stop) == (20, 31)
    assert stopping_rules.RULES["MA5 patience 10"](curve)[0] == 20


def hand_made_curves(outer_peaks, inner_peaks, n=80, n_outer=1000, n_inner=850):
    return {model: {seed: {
        "outer": {"valid_ndcg@10": peaked(outer_peaks[model][i], n).tolist(),
                  "n_fit_ratings": n_outer},
        "inner": {"valid_ndcg@10": peaked(inner_peaks[model][i], n, height=0.17).tolist(),
                  "n_fit_ratings": n_inner}}
        for i, seed in enumerate(("42", "1", "2"))} for model in outer_peaks}


def test_nested_scaling_scores_the_inner_choice_times_the_data_ratio_on_the_outer_curve():
    # the outer peak sits exactly at the inner peak x 1000/850: the data ratio must win
    inner = {"a": [17, 20, 34], "b": [23, 25, 30]}
    outer = {model: [round(e * 1000 / 850) for e in peaks] for model, peaks in inner.items()}
    result = stopping_rules.analyse(hand_made_curves(outer, inner))
    assert result["seeds"] == ["42", "1", "2"]
    assert result["nested"]["data_ratio"]["42"] == pytest.approx(1000 / 850, abs=1e-6)
    row = result["nested"]["models"]["a"]["patience 10"]
    assert row["inner_chosen"] == [17, 20, 34]
    assert row["inner_stop"] == [27, 30, 44]
    assert row["by_scale"]["1.0"]["epochs"] == [17, 20, 34]
    assert row["by_scale"]["0.8"]["epochs"] == [14, 16, 27]
    assert row["by_scale"]["data ratio"]["epochs"] == outer["a"]
    assert row["by_scale"]["data ratio"]["outer_valid_ndcg@10"] == [0.2, 0.2, 0.2]
    rec = result["recommendation"]
    assert (rec["best_mean"]["scale"], rec["scale"]) == ("data ratio", "data ratio")
    # plain patience chooses the same epochs for every patience here: the simplest (5) is kept
    assert rec["rule"] == "patience 5"
    assert rec["recommended_minus_other_rules"]["patience 10"]["same"] == 6
    assert rec["recommended_minus_other_scales"]["1.0"]["better"] == 6


def test_rules_table_on_the_outer_curves():
    inner = {"a": [10, 10, 10]}
    result = stopping_rules.analyse(hand_made_curves({"a": [12, 30, 45]}, inner))
    row = result["rules"]["a"]["patience 5"]
    assert row["chosen"] == [12, 30, 45]
    assert row["stop"] == [17, 35, 50]
    assert row["minus_best_in_budget"] == {"mean": 0.0, "se": 0.0, "n": 3}
    assert result["peaks"]["a"]["1"]["outer"] == {"epoch": 30, "valid_ndcg@10": 0.2}
    assert result["rules"]["a"]["patience inf"]["stop"] == [80, 80, 80]


def test_a_refit_epoch_past_the_outer_curve_is_missing_not_guessed():
    result = stopping_rules.analyse(hand_made_curves({"a": [10, 10, 10]}, {"a": [40, 40, 40]},
                                                     n=50))
    cell = result["nested"]["models"]["a"]["patience 5"]["by_scale"]["1.4"]
    assert cell["epochs"] == [56, 56, 56]
    assert cell["outer_valid_ndcg@10"] == [None, None, None] and cell["mean"] is None
    assert all(p["scale"] != "1.4" for p in result["nested"]["pooled"])


def test_models_fitted_on_different_data_are_refused():
    curves = hand_made_curves({"a": [10] * 3, "b": [10] * 3}, {"a": [9] * 3, "b": [9] * 3})
    curves["b"]["1"]["inner"]["n_fit_ratings"] = 851
    with pytest.raises(ValueError, match="different data"):
        stopping_rules.analyse(curves)


def test_the_data_ratio_epochs_are_what_refit_trains():
    from movierec_utils.models.base import refit_epochs

    for epoch in (1, 17, 22, 42, 110):
        for n_fit, n_refit in ((63_750, 75_000), (850, 1000), (7, 10)):
            assert stopping_rules.scaled_epochs(epoch, n_refit / n_fit) == \
                refit_epochs(epoch, n_refit, n_fit)
