"""Why validation and test disagree on how long to train: their curves, epoch by epoch.

    .venv/bin/python -m benchmarks.validation_curves [--epochs 100] [--seeds 42 1 2]
                                                     [--out results/validation_curves.json]

For each neural model and split seed (42, 1, 2), with the configuration the search chose on that
split (``results/tuning.json``), it trains for a fixed number of epochs (no early stopping) and
records NDCG@10 after every epoch:

* ``test`` — on the test part, the model trained on the whole training part (the refit the
  protocol tests). **Recorded for this study only; nothing is chosen with it.**
* ``valid`` — on the protocol's validation part (15% of each user's training ratings), the
  model trained on the rest (``train_fit``): the curve the protocol chooses the epoch on.

Which way of choosing the epoch is best is then decided **on validation data only**, one level
down (nested): ``train_fit`` is split again, and each candidate protocol picks an epoch on its
inner curve(s), scales it by the ratio of ratings (``len(train_fit) / len(inner_fit)``, as
``Recommender.refit`` scales), and is scored by the ``valid`` curve at that epoch. Candidates:

* ``15%`` — one inner validation part of 15% (the protocol as it is);
* ``15%, 3 folds`` — the mean curve of three such parts carved with different seeds (less noise
  from which ratings were held out, three times the training);
* ``30%`` — one inner part twice as large (less noise, less training data).

The protocol as used (the ``valid`` curve's best epoch, scaled) is reported with the test NDCG@10
it reaches beside the test curve's own best epoch. It writes ``results/validation_curves.json``.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import movierec_utils  # noqa: F401  (before TensorFlow)
import numpy as np
from movierec_utils import results
from movierec_utils.data import load_ratings
from movierec_utils.models import MODELS
from movierec_utils.models.base import refit_epochs
from movierec_utils.splits import stratified_split
from movierec_utils.tuning import chosen

ROOT = Path(__file__).resolve().parents[1]
SEEDS = (42, 1, 2)
MODELS_STUDIED = ("two_tower", "gnn", "dnn")
TRAIN_RATIO, VALID_RATIO = 0.75, 0.15
FOLD_SEEDS = (0, 1000, 2000)  # added to the split's seed to carve the three 15% folds


def curve(name: str, settings: dict, fit_part, scored_part, epochs: int) -> list[float]:
    """NDCG@10 on ``scored_part`` after each of ``epochs`` epochs of training on ``fit_part``."""
    model = MODELS[name](**{**settings, "max_epochs": epochs, "patience": epochs})
    model.fit(fit_part, scored_part)
    return [round(record["valid_ndcg@10"], 5) for record in model.history_]


CANDIDATES = {"15%": (VALID_RATIO, FOLD_SEEDS[:1]), "15%, 3 folds": (VALID_RATIO, FOLD_SEEDS),
              "30%": (2 * VALID_RATIO, FOLD_SEEDS[:1])}


def choose(name, settings, part, seed: int, epochs: int, ratio: float, offsets, cache: dict):
    """``(mean curve, refit epochs)`` of one candidate: inner curves on ``part`` carved with
    ``seed + offset`` for each offset (each trained once: ``cache``), their mean's best epoch
    scaled by the ratio of ratings."""
    inner = []
    for offset in offsets:
        inner_fit, inner_valid = stratified_split(part, ratio=1 - ratio, seed=seed + offset)
        if (ratio, offset) not in cache:
            cache[(ratio, offset)] = curve(name, settings, inner_fit, inner_valid, epochs)
        inner.append(cache[(ratio, offset)])
    mean = np.mean(inner, axis=0)
    best = int(np.argmax(mean)) + 1
    return mean, min(refit_epochs(best, len(part), len(inner_fit)), epochs)


def study(ratings, name: str, seed: int, epochs: int, with_nested: bool = True) -> dict:
    train, test = stratified_split(ratings, ratio=TRAIN_RATIO, seed=seed)
    train_fit, valid = stratified_split(train, ratio=1 - VALID_RATIO, seed=seed)
    settings = {key: value for key, value in chosen(name, str(seed)).items() if key != "epochs"}
    started = time.perf_counter()
    curves = {"test": curve(name, settings, train, test, epochs),
              "valid": curve(name, settings, train_fit, valid, epochs)}
    nested, cache = {}, {}
    for label, (ratio, offsets) in (CANDIDATES.items() if with_nested else ()):
        inner_curve, refit = choose(name, settings, train_fit, seed, epochs, ratio, offsets,
                                    cache)
        nested[label] = {"refit_epochs": refit, "valid_ndcg_at_refit": curves["valid"][refit - 1],
                         "inner_curve": [round(float(v), 5) for v in inner_curve]}
    # the protocol as the lessons use it: the valid curve's best epoch, scaled, refitted on train
    best_valid = int(np.argmax(curves["valid"])) + 1
    refit = min(refit_epochs(best_valid, len(train), len(train_fit)), epochs)
    best_test = int(np.argmax(curves["test"])) + 1
    print(f"{name:<9} seed {seed}: test best epoch {best_test} ({max(curves['test']):.4f}); "
          f"protocol refit {refit} → {curves['test'][refit - 1]:.4f}; nested: " + "; ".join(
              f"{label} → {entry['refit_epochs']} epochs, "
              f"valid {entry['valid_ndcg_at_refit']:.4f}"
              for label, entry in nested.items()), flush=True)
    return {"model": name, "seed": seed, "settings": settings, "curves": curves,
            "best_valid_epoch": best_valid, "nested": nested,
            "protocol": {"refit_epochs": refit, "test_ndcg_at_refit": curves["test"][refit - 1]},
            "best_test_epoch": best_test, "best_test_ndcg": max(curves["test"]),
            "seconds": round(time.perf_counter() - started, 1)}


LABELS = {"two_tower": "Two-tower", "gnn": "LightGCN", "dnn": "Deep model"}


def disagreement_table(record: dict):
    """Per model and split: the valid curve's best epoch, the refit's epochs the protocol
    trains, and the test curve's best epoch; the test NDCG@10 at the refit and at its best."""
    import pandas as pd

    return pd.DataFrame({(LABELS[row["model"]], row["seed"]): {
        "valid: best epoch": row["best_valid_epoch"],
        "refit epochs (protocol)": row["protocol"]["refit_epochs"],
        "test: best epoch": row["best_test_epoch"],
        "test NDCG@10 at the refit": row["protocol"]["test_ndcg_at_refit"],
        "test NDCG@10 at its best": row["best_test_ndcg"]} for row in record["studies"]}
    ).T.rename_axis(["model", "split seed"]).astype(
        {"valid: best epoch": int, "refit epochs (protocol)": int, "test: best epoch": int})


def nested_table(record: dict):
    """Per candidate protocol: the epochs it chooses (inner level) and the outer validation
    NDCG@10 at them, per model and split where it was run, with their mean."""
    import pandas as pd

    frame = pd.DataFrame({(LABELS[row["model"]], row["seed"]): {
        label: entry["valid_ndcg_at_refit"] for label, entry in row["nested"].items()}
        for row in record["studies"] if row["nested"]}).T.rename_axis(["model", "split seed"])
    frame.loc[("mean", ""), :] = frame.mean()
    return frame


def plot_curves(record: dict, seed: int = 42):
    """The validation and test curves of one split, each divided by its own maximum, one panel
    per model, with the epochs the protocol refits for and the test curve's best."""
    import matplotlib.pyplot as plt

    studies = [row for row in record["studies"] if row["seed"] == seed]
    fig, axes = plt.subplots(1, len(studies), figsize=(4.2 * len(studies), 3.8), sharey=True)
    for ax, row in zip(np.atleast_1d(axes), studies):
        for label, colour, text in (("valid", "#1f77b4", "validation (trained on train_fit)"),
                                    ("test", "black", "test (trained on all of train)")):
            values = np.asarray(row["curves"][label])
            ax.plot(np.arange(1, len(values) + 1), values / values.max(), color=colour,
                    label=text)
        ax.axvline(row["protocol"]["refit_epochs"], color="#1f77b4", linestyle=":",
                   label="refit epochs (validation's best × ratio)")
        ax.axvline(row["best_test_epoch"], color="black", linestyle=":",
                   label="test curve's best epoch")
        ax.set(title=f"{LABELS[row['model']]} (split seed {seed})", xlabel="epoch",
               ylim=(0.9, 1.005))
    np.atleast_1d(axes)[0].set_ylabel("NDCG@10 / the curve's maximum")
    handles, labels = np.atleast_1d(axes)[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=9,
               bbox_to_anchor=(0.5, -0.08))
    return fig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--models", nargs="+", default=list(MODELS_STUDIED),
                        choices=MODELS_STUDIED)
    parser.add_argument("--seeds", nargs="+", type=int, default=list(SEEDS))
    parser.add_argument("--nested-seeds", nargs="+", type=int, default=list(SEEDS),
                        help="splits on which the nested choice of protocol is also run")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "validation_curves.json")
    args = parser.parse_args()
    ratings = load_ratings("100k")
    rows = [study(ratings, name, seed, args.epochs, with_nested=seed in args.nested_seeds)
            for name in args.models for seed in args.seeds]
    record = {"name": "validation_curves", "epochs": args.epochs,
              "command": "python -m benchmarks.validation_curves " + " ".join(sys.argv[1:]),
              "protocol": {"train_ratio": TRAIN_RATIO, "valid_ratio": VALID_RATIO,
                           "fold_seed_offsets": FOLD_SEEDS, "candidates": list(CANDIDATES),
                           "nested_seeds": args.nested_seeds},
              "studies": rows, "seconds": round(sum(row["seconds"] for row in rows), 1),
              **results.provenance()}
    args.out.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({record['seconds']:.0f} s of training)")


if __name__ == "__main__":
    main()
