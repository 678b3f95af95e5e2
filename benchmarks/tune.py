"""The recorded search: every model's settings chosen on validation data, split by split.

    .venv/bin/python -m benchmarks.tune [--out results/tuning.json] [--trials-scale 1.0]
                                        [--splits 42 1 2 time] [--models ease two_tower gnn dnn]

For each split — the stratified splits of seeds 42, 1 and 2 (75/25 per user) and the time split
(the latest 20% of ratings are test) — the training part is split again into ``train_fit`` and
``valid`` exactly as the notebooks do (15% of each user's training ratings at random; on the
time split, the latest 15% of the training part). For each model a study of ``TRIALS[model]``
trials (``--trials-scale`` multiplies them) samples settings from ``SPACES``, fits on
``train_fit`` with early stopping on ``valid`` (patience 5, at most 100 epochs) and scores the
trial by its best validation NDCG@10. **The test part is never read.**

Why Optuna rather than KerasTuner: the models train in the repository's own loop (``fit`` with
early stopping and a full-ranking validation after each epoch), not ``keras.Model.fit``;
Optuna's objective is a plain function of a trial, its TPE sampler handles conditional spaces
(the batch size means users for a full softmax, ratings for a sampled one), and its median
pruner reads the per-epoch validation NDCG through ``fit(on_epoch=...)``.

* Sampler: TPE, seeded per (model, split); the first trial is the class's current default
  configuration (``enqueue_trial``), so a study reports how much the search gained over it.
* Pruner: a trial whose validation NDCG@10 at epoch e (e ≥ 5) is below the median of earlier
  trials at e stops there (Optuna's MedianPruner after 5 complete trials).
* Chosen configuration: the best trial's settings, with ``epochs`` for the refit on the whole
  training part = ``refit_epochs(best epoch, len(train), len(train_fit))`` as ``refit`` does.

It writes ``results/tuning.json``: every trial (settings, state, validation NDCG@10, best epoch,
seconds), each study's chosen configuration and its time, the budgets, the library versions and
the provenance. Studies already in ``--out`` with the same budget are kept (an interrupted run
resumes); ``--fresh`` starts over.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from importlib import metadata
from pathlib import Path

import movierec_utils  # noqa: F401  (before TensorFlow)
import optuna
from movierec_utils import results
from movierec_utils.data import load_ratings
from movierec_utils.models import MODELS
from movierec_utils.models.base import refit_epochs
from movierec_utils.splits import split_cold, stratified_split, temporal_split

ROOT = Path(__file__).resolve().parents[1]
SPLITS = ("42", "1", "2", "time")
TRAIN_RATIO, VALID_RATIO, TIME_TEST_RATIO = 0.75, 0.15, 0.2
TRIALS = {"ease": 30, "two_tower": 36, "gnn": 56, "dnn": 44}
PATIENCE, MAX_EPOCHS, PRUNE_AFTER = 5, 100, 5
STUDY_TIMEOUT = 900  # seconds: no new trial starts after this (a safety cap, recorded if hit)
# A configuration whose validation fit took longer than this is not chosen: the lessons and
# notebook 04 refit the choice and must run in about 90 s on a laptop's two cores.
FIT_SECONDS_CAP = 60
CHOICE_RULE = (f"best validation NDCG@10 among complete trials whose fit took at most "
               f"{FIT_SECONDS_CAP} s")


def split_parts(ratings, split: str):
    """``(train_fit, valid, train, test)`` of a split named "42", "1", "2" or "time"."""
    if split == "time":
        train, test = temporal_split(ratings, test_ratio=TIME_TEST_RATIO)
        train_fit, valid = temporal_split(train, test_ratio=VALID_RATIO)
    else:
        train, test = stratified_split(ratings, ratio=TRAIN_RATIO, seed=int(split))
        train_fit, valid = stratified_split(train, ratio=1 - VALID_RATIO, seed=int(split))
    return train_fit, valid, train, test


def two_tower_space(trial) -> dict:
    loss = trial.suggest_categorical("loss", ["full_softmax", "logq", "in_batch"])
    # a full softmax's batch counts users (943 in all); a sampled one's counts ratings
    batch_size = (trial.suggest_categorical("batch_size_users", [32, 64, 128, 256])
                  if loss == "full_softmax" else
                  trial.suggest_categorical("batch_size_ratings", [512, 1024, 2048, 4096]))
    embedding_dim = trial.suggest_categorical("embedding_dim", [32, 64, 128])
    hidden = trial.suggest_categorical("hidden_layers", [0, 1])
    return {"loss": loss, "batch_size": batch_size, "embedding_dim": embedding_dim,
            "hidden_units": (2 * embedding_dim,) * hidden,
            "output_dim": embedding_dim if hidden else None,
            "learning_rate": trial.suggest_float("learning_rate", 1e-3, 3e-2, log=True),
            "l2": trial.suggest_float("l2", 1e-3, 1.0, log=True)}


def gnn_space(trial) -> dict:
    loss = trial.suggest_categorical("loss", ["softmax", "bpr"])
    batch_size = (trial.suggest_categorical("batch_size_users", [32, 64, 128, 256])
                  if loss == "softmax" else
                  trial.suggest_categorical("batch_size_ratings", [512, 1024, 2048, 4096]))
    return {"loss": loss, "batch_size": batch_size,
            "embedding_dim": trial.suggest_categorical("embedding_dim", [32, 64, 128]),
            "n_layers": trial.suggest_int("n_layers", 0, 4),  # 0 = matrix factorisation
            "learning_rate": trial.suggest_float("learning_rate", 2e-3, 5e-2, log=True),
            "l2": trial.suggest_float("l2", 1e-4, 1e-1, log=True)}


def dnn_space(trial) -> dict:
    hidden = trial.suggest_categorical("hidden_layers", [0, 1])
    output_dim = trial.suggest_categorical("output_dim", [32, 64, 128])
    return {"batch_size": trial.suggest_categorical("batch_size", [32, 64, 128, 256]),
            "embedding_dim": trial.suggest_categorical("embedding_dim", [16, 32, 64]),
            "output_dim": output_dim, "hidden_units": (2 * output_dim,) * hidden,
            "dropout": trial.suggest_float("dropout", 0.0, 0.3),
            "id_dropout": trial.suggest_float("id_dropout", 0.0, 0.3),
            "rating_weight": trial.suggest_float("rating_weight", 0.0, 0.5),
            "learning_rate": trial.suggest_float("learning_rate", 1e-3, 3e-2, log=True),
            "l2": trial.suggest_float("l2", 1e-3, 1.0, log=True)}


def ease_space(trial) -> dict:
    return {"l2": trial.suggest_float("l2", 10.0, 10_000.0, log=True)}


SPACES = {"ease": ease_space, "two_tower": two_tower_space, "gnn": gnn_space, "dnn": dnn_space}


def default_trial(name: str) -> dict:
    """The class's current defaults as the sampler's parameters (its first trial)."""
    params = MODELS[name]().get_params()
    if name == "ease":
        return {"l2": params["l2"]}
    fixed = {key: params[key] for key in ("learning_rate", "l2", "embedding_dim")}
    if name == "gnn":
        key = "batch_size_users" if params["loss"] == "softmax" else "batch_size_ratings"
        return {**fixed, "loss": params["loss"], key: params["batch_size"],
                "n_layers": params["n_layers"]}
    hidden = int(bool(params["hidden_units"]))
    if name == "two_tower":
        key = "batch_size_users" if params["loss"] == "full_softmax" else "batch_size_ratings"
        return {**fixed, "loss": params["loss"], key: params["batch_size"],
                "hidden_layers": hidden}
    return {**fixed, "batch_size": params["batch_size"], "hidden_layers": hidden,
            "output_dim": params["output_dim"], "dropout": params["dropout"],
            "id_dropout": params["id_dropout"], "rating_weight": params["rating_weight"]}


def run_study(name: str, split: str, parts, n_trials: int, seed: int = 42) -> dict:
    """One model's search on one split's validation part: every trial and the chosen setting."""
    train_fit, valid, train, _ = parts  # the test part is not used
    sampler = optuna.samplers.TPESampler(seed=seed + SPLITS.index(split))
    pruner = optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=PRUNE_AFTER - 1)
    study = optuna.create_study(direction="maximize", sampler=sampler, pruner=pruner)
    study.enqueue_trial(default_trial(name))
    trials, started = [], time.perf_counter()

    def objective(trial) -> float:
        settings = SPACES[name](trial)
        if name != "ease":
            settings.update(max_epochs=MAX_EPOCHS, patience=PATIENCE)
        model = MODELS[name](**settings, seed=seed)
        row = {"trial": trial.number, "settings": settings, "state": "complete"}
        trials.append(row)
        began = time.perf_counter()

        def report(record):
            trial.report(record["valid_ndcg@10"], record["epoch"])
            row.update(epochs_run=record["epoch"])
            if trial.should_prune():
                raise optuna.TrialPruned()
        try:
            if name == "ease":
                model.fit(train_fit)
                value = model.evaluate(split_cold(train_fit, valid)[0])["ndcg@10"]
            else:
                model.fit(train_fit, valid, on_epoch=report)
                value = max(record["valid_ndcg@10"] for record in model.history_)
                row["best_epoch"] = model.best_epoch_
        except optuna.TrialPruned:
            row.update(state="pruned", seconds=round(time.perf_counter() - began, 2),
                       valid_ndcg=round(max(r["valid_ndcg@10"] for r in model.history_), 6))
            raise
        row.update(valid_ndcg=round(value, 6), seconds=round(time.perf_counter() - began, 2))
        print(f"{name:<9} split {split:<4} trial {trial.number:>2}: {value:.4f} "
              f"({row['seconds']:.1f} s) {settings}", flush=True)
        return value

    study.optimize(objective, n_trials=n_trials, timeout=STUDY_TIMEOUT)
    return {"model": name, "split": split, "n_trials": len(trials), "budget": n_trials,
            "n_pruned": sum(row["state"] == "pruned" for row in trials),
            "default_valid_ndcg": trials[0]["valid_ndcg"],
            "seconds": round(time.perf_counter() - started, 1), "trials": trials,
            **choose(name, trials, len(train), len(train_fit))}


def choose(name: str, trials: list[dict], n_train: int, n_fit: int) -> dict:
    """The choice rule: the complete trial with the best validation NDCG@10 among those whose
    fit took at most ``FIT_SECONDS_CAP`` seconds; ``epochs`` for the refit on the whole training
    part as ``Recommender.refit`` scales them."""
    eligible = [row for row in trials if row["state"] == "complete"
                and row["seconds"] <= FIT_SECONDS_CAP]
    best = max(eligible, key=lambda row: row["valid_ndcg"])
    chosen = {key: value for key, value in best["settings"].items()
              if key not in ("max_epochs", "patience")}
    if name != "ease":
        chosen["epochs"] = refit_epochs(best["best_epoch"], n_train, n_fit)
    slower = [row for row in trials if row["state"] == "complete"
              and row["valid_ndcg"] > best["valid_ndcg"]]
    return {"best_trial": best["trial"], "best_valid_ndcg": best["valid_ndcg"], "chosen": chosen,
            "passed_over_as_too_slow": [row["trial"] for row in slower]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "tuning.json")
    parser.add_argument("--splits", nargs="+", default=list(SPLITS), choices=SPLITS)
    parser.add_argument("--models", nargs="+", default=list(SPACES), choices=list(SPACES))
    parser.add_argument("--trials-scale", type=float, default=1.0)
    parser.add_argument("--fresh", action="store_true", help="ignore studies already in --out")
    parser.add_argument("--rechoose", action="store_true",
                        help="apply the choice rule again to the trials recorded in --out "
                             "(no fitting), e.g. after the rule changed")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if args.rechoose:
        rechoose(args.out)
        return
    budget = {name: max(1, round(TRIALS[name] * args.trials_scale)) for name in SPACES}
    record = (json.loads(args.out.read_text()) if args.out.is_file() and not args.fresh
              else {})
    studies = record.get("studies", {}) if record.get("budget") == budget else {}
    ratings = load_ratings("100k")
    started, origin = time.perf_counter(), results.provenance()  # the code the search ran
    for split in args.splits:
        parts = split_parts(ratings, split)
        for name in args.models:
            if f"{name} | {split}" in studies:
                continue
            studies[f"{name} | {split}"] = run_study(name, split, parts, budget[name])
            record = {
                "name": "tuning", "command": "python -m benchmarks.tune " + " ".join(sys.argv[1:]),
                "library": {"optuna": metadata.version("optuna")},
                "sampler": "TPE (seeded 42 + split index), first trial = class defaults",
                "pruner": f"median after 5 trials, from epoch {PRUNE_AFTER}",
                "protocol": {"train_ratio": TRAIN_RATIO, "valid_ratio": VALID_RATIO,
                             "time_test_ratio": TIME_TEST_RATIO, "patience": PATIENCE,
                             "max_epochs": MAX_EPOCHS, "objective": "best validation NDCG@10"},
                "budget": budget, "studies": studies,
                "choice_rule": CHOICE_RULE,
                "seconds": round(sum(study["seconds"] for study in studies.values()), 1),
                **origin, "written": results.provenance()["written"]}
            args.out.write_text(json.dumps(record, indent=1, default=results.json_default)
                                + "\n", encoding="utf-8")
    print(f"searched in {time.perf_counter() - started:.0f} s; wrote {args.out}")


def rechoose(path: Path) -> None:
    """Re-apply :func:`choose` to every study recorded in ``path``, in place."""
    record = json.loads(path.read_text())
    ratings = load_ratings("100k")
    for key, found in record["studies"].items():
        train_fit, _, train, _ = split_parts(ratings, found["split"])
        found.update(choose(found["model"], found["trials"], len(train), len(train_fit)))
    record["choice_rule"] = CHOICE_RULE
    path.write_text(json.dumps(record, indent=1, default=results.json_default) + "\n",
                    encoding="utf-8")
    print(f"re-chose every study in {path}")


if __name__ == "__main__":
    main()
