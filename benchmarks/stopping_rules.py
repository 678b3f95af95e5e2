"""Stopping-rules benchmark: when to stop the three neural models, and how long to refit them.

    .venv/bin/python benchmarks/stopping_rules.py                    # train + analyse (~30 min)
    .venv/bin/python benchmarks/stopping_rules.py --from-curves DIR  # re-analyse saved curves

What it measures, for each neural model (two_tower, gnn, dnn) and split seed (42, 1, 2), with
the configuration its notebook reported (``results/<model>.json`` parameters) and validation
only — the test split is never read (notebook 04 tests once per model and seed):

* **Curves.** The model is fitted on ``train_fit`` with ``valid`` for a fixed budget of epochs
  (``--budget``, 150) with patience disabled, recording validation NDCG@10 and the training loss
  after every epoch (the *outer* curve). The same is done one level down: ``train_fit`` is split
  again the way ``stratified_split`` splits train (``1 - valid_ratio`` kept per user, same seed)
  into ``inner_fit``/``inner_valid`` (the *inner* curve). Epoch N of a curve equals a fresh fit
  of N epochs (the training loop draws nothing extra for validation), so a curve answers "what
  if we had trained N epochs" for every N.
* **Rules table** (offline, outer curves): each stopping rule — patience 5/10/20, patience ∞
  (best epoch within the budget), patience 10 on a 3- or 5-epoch trailing moving average —
  gives a chosen epoch, the epoch training stops at, and the validation NDCG@10 at the chosen
  epoch. This is in-sample (the rule picks and is scored on one curve): it shows the cost of
  each rule (epochs trained) and what it leaves on the table, not which rule generalises.
* **Nested table** (offline, the honest check): the rule picks an epoch on the *inner* curve;
  the refit on ``train_fit`` trains that epoch × scale (0.8, 1.0, the data ratio
  len(train_fit)/len(inner_fit) ≈ 1.18 — computed, exactly as ``Recommender.refit`` scales —
  and 1.4), scored by the outer curve at that epoch. Means over seeds with paired standard
  errors; the recommended rule is the cell with the best mean over all model × seed pairs, and
  the file says which alternatives lie within one paired standard error of it.

It writes ``results/stopping_rules.json`` (``--out``): metadata, the budget, the curves
(NDCG@10 to 5 decimals, loss to 4), both tables and the recommendation; the analysis reads the
rounded curves, so re-analysing the file's own curves gives the same tables.

Time: 18 curves of 150 epochs (each epoch trains, then ranks the whole catalogue for every
validation user): 30 minutes on 2 CPU cores shared with other jobs (load ~5, niced), 50–130 s
per curve (metadata.timing of the results file).
Each curve is saved to ``--curves-dir`` as it finishes; a rerun reuses the curves found there
(at least ``--budget`` epochs long), so an interrupted run resumes.

``--from-curves DIR`` skips training and analyses curves saved in DIR (``<model>_s<seed>_
<outer|inner>.npz`` holding arrays ``ndcg`` and ``loss``, the format ``--curves-dir`` writes):
it exists to re-analyse a finished run, e.g. after changing the rules, in seconds. Curves
longer than ``--budget`` are cut to it. ``--compare-curves DIR`` records, per curve, the largest
absolute difference of validation NDCG@10 from the curves in DIR over their common epochs.
"""
from __future__ import annotations

import argparse
import inspect
import json
import platform
import re
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere: the package is at the root
    sys.path.insert(0, str(ROOT))

import movierec_utils  # noqa: E402,F401  (before TensorFlow)

NEURAL = ("two_tower", "gnn", "dnn")
SEEDS = (42, 1, 2)
LEVELS = ("outer", "inner")
RATIO, VALID_RATIO = 0.75, 0.15  # the notebooks' protocol: 75/25 train/test, 15% of train valid
DEFAULT_BUDGET = 150
NDCG_DECIMALS, LOSS_DECIMALS = 5, 4
DATA_RATIO = "data ratio"
SCALES = (0.8, 1.0, DATA_RATIO, 1.4)

#: What the ``loss`` curve holds, per model, for curves trained by this code (base.py's training
#: loop records whatever the model's ``run_epoch`` returns).
LOSS_RECORDED = {
    "two_tower": "mean batch loss of the epoch (two_tower.compiled_epoch)",
    "gnn": "mean batch loss of the epoch",
    "dnn": "loss of the epoch's last batch (dnn.py reads model.fit(...).history['loss'][-1], "
           "which for a tfrs.Model is the last batch's loss)",
}


# ------------------------------------------------------------------ stopping rules
def patience_rule(values, patience: float) -> tuple[int, int]:
    """Online early stopping exactly as ``Recommender._train_epochs`` does it: a strictly better
    value resets the wait; training stops once ``patience`` epochs in a row were not better.
    Returns ``(chosen epoch, stop epoch)``, 1-based; ``patience=inf`` runs the whole curve."""
    best, chosen, waited = -np.inf, 0, 0
    for epoch, value in enumerate(values, 1):
        if value > best:
            best, chosen, waited = value, epoch, 0
        else:
            waited += 1
        if waited >= patience:
            return chosen, epoch
    return chosen, len(values)


def moving_average_rule(values, window: int, patience: float) -> tuple[int, int]:
    """Patience on the trailing ``window``-epoch mean (defined once a full window exists); the
    chosen epoch is the centre of the best window."""
    values = np.asarray(values, dtype=float)
    smoothed = np.full(len(values), -np.inf)
    for end in range(window - 1, len(values)):
        smoothed[end] = values[end - window + 1:end + 1].mean()
    end, stop = patience_rule(smoothed, patience)
    return max(1, end - (window - 1) // 2), stop


RULES = {  # name -> f(curve) -> (chosen, stop); the order is the tables' order
    "patience 5": lambda v: patience_rule(v, 5),
    "patience 10": lambda v: patience_rule(v, 10),
    "patience 20": lambda v: patience_rule(v, 20),
    "patience inf": lambda v: patience_rule(v, np.inf),
    "MA3 patience 10": lambda v: moving_average_rule(v, 3, 10),
    "MA5 patience 10": lambda v: moving_average_rule(v, 5, 10),
}


def scaled_epochs(epoch: int, scale: float) -> int:
    """``Recommender.refit``'s arithmetic (``base.refit_epochs``): max(1, round(epoch × scale))."""
    return max(1, round(epoch * scale))


def scale_label(scale) -> str:
    return scale if isinstance(scale, str) else f"{scale:.1f}"


def by_simplicity(cells) -> list:
    """(rule, scale) cells simplest first: scale 1.0, data ratio, 0.8, 1.4; then RULES' order."""
    order = ["1.0", DATA_RATIO, "0.8", "1.4"]
    return sorted(cells, key=lambda key: (order.index(key[1]) if key[1] in order else len(order),
                                          list(RULES).index(key[0])))


# ------------------------------------------------------------------ offline analysis
def _mean(values) -> float:
    return float(np.mean(values))


def _paired(differences) -> dict:
    """Mean of paired differences and its standard error (std with ddof 1 / sqrt(n))."""
    d = np.asarray(differences, dtype=float)
    se = float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else None
    return {"mean": round(float(d.mean()), 6), "se": None if se is None else round(se, 6),
            "n": len(d)}


def analyse(curves: dict) -> dict:
    """The rules table, the nested table and the recommendation, from curves alone.

    ``curves[model][seed][level]`` (level ``"outer"``/``"inner"``) is a dict with
    ``"valid_ndcg@10"`` (one value per epoch) and ``"n_fit_ratings"`` (ratings the curve was
    trained on; the data ratio of a seed is outer / inner). Seeds may be ints or strings; every
    model needs the same seeds. Per-seed lists in the result follow ``result["seeds"]``.
    """
    models = list(curves)
    seeds = [str(seed) for seed in curves[models[0]]]
    for model in models:
        if [str(seed) for seed in curves[model]] != seeds:
            raise ValueError(f"{model} has seeds {list(curves[model])}, {models[0]} {seeds}")
    get = {(model, str(seed)): levels for model in models for seed, levels in curves[model].items()}

    def curve(model, seed, level):
        return np.asarray(get[model, seed][level]["valid_ndcg@10"], dtype=float)

    # --- rules on the outer curves (in-sample)
    rules = {}
    for model in models:
        rules[model] = {}
        best_in_budget = [curve(model, seed, "outer").max() for seed in seeds]
        for rule, choose in RULES.items():
            picked = [choose(curve(model, seed, "outer")) for seed in seeds]
            values = [curve(model, seed, "outer")[chosen - 1] for seed, (chosen, _) in
                      zip(seeds, picked)]
            rules[model][rule] = {
                "chosen": [chosen for chosen, _ in picked],
                "stop": [stop for _, stop in picked],
                "valid_ndcg@10": [round(float(v), NDCG_DECIMALS) for v in values],
                "mean_valid_ndcg@10": round(_mean(values), 6),
                "mean_stop": round(_mean([stop for _, stop in picked]), 2),
                "minus_best_in_budget": _paired(np.subtract(values, best_in_budget)),
            }

    # --- nested: rule on the inner curve, epoch x scale, scored on the outer curve
    data_ratio = {}
    for seed in seeds:
        ratios = {get[model, seed]["outer"]["n_fit_ratings"]
                  / get[model, seed]["inner"]["n_fit_ratings"] for model in models}
        if len(ratios) != 1:
            raise ValueError(f"seed {seed}: the models were fitted on different data ({ratios})")
        data_ratio[seed] = ratios.pop()
    cells = {}  # (rule, scale label) -> {model: [outer value per seed, None past the curve]}
    nested = {}
    for model in models:
        nested[model] = {}
        for rule, choose in RULES.items():
            picked = [choose(curve(model, seed, "inner")) for seed in seeds]
            row = {"inner_chosen": [chosen for chosen, _ in picked],
                   "inner_stop": [stop for _, stop in picked], "by_scale": {}}
            for scale in SCALES:
                label = scale_label(scale)
                epochs, values = [], []
                for seed, (chosen, _) in zip(seeds, picked):
                    factor = data_ratio[seed] if scale == DATA_RATIO else scale
                    epoch = scaled_epochs(chosen, factor)
                    outer = curve(model, seed, "outer")
                    epochs.append(epoch)
                    values.append(float(outer[epoch - 1]) if epoch <= len(outer) else None)
                complete = None not in values
                row["by_scale"][label] = {
                    "epochs": epochs,
                    "outer_valid_ndcg@10": [None if v is None else round(v, NDCG_DECIMALS)
                                            for v in values],
                    "mean": round(_mean(values), 6) if complete else None}
                cells.setdefault((rule, label), {})[model] = values
            nested[model][rule] = row

    # --- pooled over model x seed pairs; the recommendation (one-standard-error rule)
    complete = {key: by_model for key, by_model in cells.items()
                if all(None not in values for values in by_model.values())}
    if not complete:
        raise ValueError("no rule/scale has a refit epoch inside every outer curve")

    def pooled_values(key):
        return np.concatenate([complete[key][model] for model in models])

    def minus(key, reference):
        return _paired(pooled_values(key) - pooled_values(reference))

    def cell_name(key):
        return f"{key[0]} x {key[1]}"

    best = max(complete, key=lambda key: pooled_values(key).mean())
    within = {key for key in complete
              if key == best or -minus(key, best)["mean"] <= (minus(key, best)["se"] or 0)}
    recommended = next(key for key in by_simplicity(complete) if key in within)
    pooled = []
    for key in sorted(complete, key=lambda k: -pooled_values(k).mean()):
        pooled.append({
            "rule": key[0], "scale": key[1],
            "mean": round(float(pooled_values(key).mean()), 6),
            "per_model_mean": {model: round(_mean(complete[key][model]), 6) for model in models},
            "minus_best": minus(key, best),
            "within_one_se_of_best": key in within,
            "minus_recommended": minus(key, recommended),
        })
    for model in models:
        for rule in RULES:
            for name, cell in nested[model][rule]["by_scale"].items():
                if (rule, name) in complete:
                    cell["minus_recommended"] = _paired(
                        np.subtract(complete[rule, name][model], complete[recommended][model]))

    def versus(key):
        d = pooled_values(recommended) - pooled_values(key)
        return {**_paired(d), "better": int((d > 0).sum()), "same": int((d == 0).sum()),
                "worse": int((d < 0).sum())}

    rule, scale = recommended
    recommendation = {
        "rule": rule, "scale": scale,
        "scale_value": round(_mean(list(data_ratio.values())), 4) if scale == DATA_RATIO
        else float(scale),
        "mean_outer_valid_ndcg@10": round(float(pooled_values(recommended).mean()), 6),
        "pairs": len(pooled_values(recommended)),
        "criterion": "one-standard-error rule on the nested check: the cells (rule x scale) whose "
                     "mean outer validation NDCG@10 over all model x seed pairs is within one "
                     "paired standard error of the best mean; of these the first in the order "
                     "scale 1.0, data ratio, 0.8, 1.4 (no scaling, the computed ratio refit() "
                     "uses, tuned constants), then patience 5, 10, 20, inf, MA3, MA5 (plain "
                     "patience is what the training loop implements; shorter trains fewer epochs)",
        "best_mean": {"rule": best[0], "scale": best[1],
                      "mean_outer_valid_ndcg@10": round(float(pooled_values(best).mean()), 6),
                      "recommended_minus_best": minus(recommended, best)},
        "within_one_se_of_best": [cell_name(p) for p in by_simplicity(complete) if p in within],
        "recommended_minus_other_scales": {other: versus((rule, other)) for other in
                                           map(scale_label, SCALES)
                                           if other != scale and (rule, other) in complete},
        "recommended_minus_other_rules": {other: versus((other, scale)) for other in RULES
                                          if other != rule and (other, scale) in complete},
    }
    return {
        "seeds": seeds,
        "models": models,
        "curve_epochs": {level: sorted({len(curve(m, s, level)) for m in models for s in seeds})
                         for level in LEVELS},
        "peaks": {model: {seed: {level: {"epoch": int(curve(model, seed, level).argmax()) + 1,
                                         "valid_ndcg@10": round(float(curve(model, seed, level)
                                                                      .max()), NDCG_DECIMALS)}
                                 for level in LEVELS} for seed in seeds} for model in models},
        "rules": rules,
        "nested": {"scales": [scale_label(s) for s in SCALES],
                   "data_ratio": {seed: round(r, 6) for seed, r in data_ratio.items()},
                   "models": nested, "pooled": pooled},
        "recommendation": recommendation,
    }


# ------------------------------------------------------------------ data and training
def split_seed(ratings, seed: int) -> dict:
    """train/test, train_fit/valid as the notebooks split, and the inner split of train_fit."""
    from movierec_utils.splits import stratified_split

    train_fit, valid, _test = stratified_split(ratings, ratio=RATIO, seed=seed,
                                               valid_ratio=VALID_RATIO)
    inner_fit, inner_valid = stratified_split(train_fit, ratio=1 - VALID_RATIO, seed=seed)
    return {"outer": (train_fit, valid), "inner": (inner_fit, inner_valid)}


def split_sizes(ratings, seed: int) -> dict:
    parts = split_seed(ratings, seed)
    return {"train_fit": len(parts["outer"][0]), "valid": len(parts["outer"][1]),
            "inner_fit": len(parts["inner"][0]), "inner_valid": len(parts["inner"][1])}


def study_configuration(name: str) -> dict:
    """The reported configuration (results/<name>.json parameters) without epochs/patience."""
    from movierec_utils.models import MODELS
    from movierec_utils.summary import reported_configuration

    config = reported_configuration(name, MODELS[name])
    if not config:
        raise SystemExit(f"results/{name}.json is missing: run its notebook first")
    return {key: value for key, value in config.items()
            if key not in ("epochs", "max_epochs", "patience")}


def train_curve(name: str, seed: int, fit, valid, budget: int) -> dict:
    """One curve: ``budget`` epochs on ``fit``, validated on ``valid`` after each, no stopping."""
    from movierec_utils.models import MODELS
    from movierec_utils.seeding import set_seed

    model_class = MODELS[name]
    params = {**study_configuration(name), "epochs": budget, "patience": budget + 1}
    if "max_epochs" in inspect.signature(model_class).parameters:
        params["max_epochs"] = budget
    set_seed(seed)
    model = model_class(**params, seed=seed).fit(fit, valid)
    history = model.history_
    return {"ndcg": np.array([r["valid_ndcg@10"] for r in history]),
            "loss": np.array([r["loss"] for r in history]),
            "seconds": np.array([r["seconds"] for r in history]),
            "wall": model.fit_seconds_, "n_fit_ratings": len(fit)}


def curve_path(folder: Path, name: str, seed: int, level: str) -> Path:
    return Path(folder) / f"{name}_s{seed}_{level}.npz"


def load_curve(folder: Path, name: str, seed: int, level: str, budget: int) -> dict | None:
    path = curve_path(folder, name, seed, level)
    if not path.is_file():
        return None
    saved = dict(np.load(path))
    if len(saved["ndcg"]) < budget:
        return None
    curve = {key: (value[:budget] if key in ("ndcg", "loss", "seconds") else value.item())
             for key, value in saved.items() if key in ("ndcg", "loss", "seconds", "wall",
                                                         "n_fit_ratings")}
    return {**curve, "saved_epochs": len(saved["ndcg"])}


def as_json_curve(curve: dict, n_fit_ratings: int) -> dict:
    return {"valid_ndcg@10": [round(float(v), NDCG_DECIMALS) for v in curve["ndcg"]],
            "loss": [round(float(v), LOSS_DECIMALS) for v in curve["loss"]],
            "n_fit_ratings": int(n_fit_ratings)}


def collect_curves(args, ratings) -> tuple[dict, dict, dict]:
    """Curves in the JSON format (rounded), the unrounded NDCG@10 curves, and timings."""
    curves, raw, timing = {}, {}, {}
    sizes = {}
    for seed in args.seeds:
        parts = split_seed(ratings, seed)
        sizes[seed] = {level: len(parts[level][0]) for level in LEVELS}
        for name in args.models:
            for level in LEVELS:
                folder = args.from_curves or args.curves_dir
                budget = args.budget if level == "outer" else args.inner_budget
                curve = load_curve(folder, name, seed, level, budget)
                if curve is None and args.from_curves:
                    raise SystemExit(f"{curve_path(folder, name, seed, level)} is missing or "
                                     f"shorter than the budget ({budget} epochs)")
                if curve is None:
                    fit, valid = parts[level]
                    started = time.perf_counter()
                    curve = train_curve(name, seed, fit, valid, budget)
                    Path(args.curves_dir).mkdir(parents=True, exist_ok=True)
                    np.savez(curve_path(args.curves_dir, name, seed, level), **curve)
                    print(f"{name} seed {seed} {level}: {budget} epochs in "
                          f"{time.perf_counter() - started:.0f} s, best epoch "
                          f"{int(curve['ndcg'].argmax()) + 1} ({curve['ndcg'].max():.4f})",
                          flush=True)
                n_fit = curve.get("n_fit_ratings", sizes[seed][level])
                if n_fit != sizes[seed][level]:
                    raise SystemExit(f"{name} seed {seed} {level}: the saved curve was fitted on "
                                     f"{n_fit} ratings, the split has {sizes[seed][level]}")
                curves.setdefault(name, {}).setdefault(str(seed), {})[level] = as_json_curve(
                    curve, n_fit)
                raw[name, seed, level] = np.asarray(curve["ndcg"], dtype=float)
                if "seconds" in curve:  # wall: the whole fit, validation included
                    timing.setdefault(name, {}).setdefault(str(seed), {})[level] = {
                        "train_s_per_epoch": round(float(np.mean(curve["seconds"][1:])), 3),
                        "wall_s": round(float(curve["wall"]), 1) if "wall" in curve else None,
                        "epochs": curve.get("saved_epochs", len(curve["ndcg"]))}
    return curves, raw, timing


def compare(raw: dict, folder: Path) -> dict:
    """Largest |difference| of validation NDCG@10 (unrounded) from the curves saved in
    ``folder``, over the epochs both have."""
    out = {}
    for (name, seed, level), ndcg in raw.items():
        path = curve_path(folder, name, seed, level)
        if not path.is_file():
            continue
        other = np.load(path)["ndcg"]
        n = min(len(other), len(ndcg))
        out[f"{name} s{seed} {level}"] = {
            "epochs": n, "max_abs_diff": float(np.abs(ndcg[:n] - other[:n]).max())}
    return out


# ------------------------------------------------------------------ metadata and output
def git_commit() -> str | None:
    """The checkout's commit, with "+changes" when tracked files differ from it."""
    try:
        def git(*command):
            return subprocess.run(["git", *command], cwd=ROOT, capture_output=True, text=True,
                                  check=True).stdout.strip()
        return git("rev-parse", "HEAD") + ("+changes" if git("status", "--porcelain",
                                                             "--untracked-files=no") else "")
    except (OSError, subprocess.CalledProcessError):
        return None


def metadata(args, timing: dict, configurations: dict, commit: str | None) -> dict:
    from movierec_utils.results import cpu_count, library_versions

    cpus = cpu_count()
    meta = {
        "command": "python benchmarks/stopping_rules.py " + " ".join(sys.argv[1:]),
        "written": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "git_commit": commit,
        "machine": {"processor": platform.machine(), "cpus": cpus},
        "versions": library_versions(),
        "split": {"function": "stratified_split", "ratio": RATIO, "valid_ratio": VALID_RATIO,
                  "inner": "stratified_split(train_fit, ratio=1 - valid_ratio, seed=seed)"},
        "configurations": configurations,
        # what the loss curves hold; saved curves hold what the code that saved them recorded
        "loss_recorded": {"by_this_code": LOSS_RECORDED,
                          "applies_to_these_curves": not args.from_curves},
        "test_split_used": False,
    }
    if args.from_curves:
        meta["curves_source"] = {"from_curves": str(args.from_curves)}
    if timing:
        meta["timing"] = timing
    return meta


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=DEFAULT_BUDGET,
                        help="epochs per curve, patience disabled (default %(default)s)")
    parser.add_argument("--inner-budget", type=int, default=None,
                        help="epochs per inner curve (default: --budget)")
    parser.add_argument("--seeds", default=",".join(map(str, SEEDS)))
    parser.add_argument("--models", default=",".join(NEURAL))
    parser.add_argument("--out", type=Path, default=None,
                        help="output JSON (default results/stopping_rules.json)")
    parser.add_argument("--curves-dir", type=Path, default=ROOT / "build" / "stopping_rules",
                        help="where trained curves are saved and reused (default %(default)s)")
    parser.add_argument("--from-curves", type=Path, default=None, metavar="DIR",
                        help="no training: re-analyse the curves saved in DIR")
    parser.add_argument("--compare-curves", type=Path, default=None, metavar="DIR",
                        help="record the max |difference| of the curves from those in DIR")
    parser.add_argument("--note", action="append", default=[],
                        help="a line of provenance to store in the metadata (repeatable)")
    args = parser.parse_args(argv)
    args.inner_budget = args.inner_budget or args.budget
    args.seeds = [int(seed) for seed in args.seeds.split(",")]
    args.models = args.models.split(",")
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    commit = git_commit()  # at the start: the code that trains, not the HEAD at the end
    from movierec_utils.data import load_ratings
    from movierec_utils.paths import output_dir

    ratings = load_ratings("100k")
    configurations = {name: study_configuration(name) for name in args.models}
    curves, raw, timing = collect_curves(args, ratings)
    analysis = analyse(curves)
    meta = metadata(args, timing, configurations, commit)
    if args.compare_curves:
        meta["compared_with"] = {"folder": str(args.compare_curves),
                                 "valid_ndcg@10": compare(raw, args.compare_curves)}
    if args.note:
        meta["notes"] = args.note
    record = {
        "name": "stopping_rules",
        "metadata": meta,
        "budget": {"outer": args.budget, "inner": args.inner_budget,
                   "patience": "disabled (budget + 1)"},
        "seeds": analysis["seeds"],
        "split_sizes": {str(seed): split_sizes(ratings, seed) for seed in args.seeds},
        **{key: analysis[key] for key in ("peaks", "rules", "nested", "recommendation")},
        "curves": curves,
    }
    out = args.out or output_dir("results") / "stopping_rules.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(dumps(record) + "\n")
    print_tables(record)
    print(f"\nwrote {out} ({out.stat().st_size / 1024:.0f} KB)")
    return record


def dumps(record: dict) -> str:
    """JSON with one line per list of numbers (a curve is one line, not 150)."""
    text = json.dumps(record, indent=1)
    return re.sub(r"\[\s+([^\[\]{}\"]*?)\s+\]",
                  lambda m: "[" + re.sub(r"\s+", " ", m.group(1)) + "]", text)


def print_tables(record: dict) -> None:
    seeds = record["seeds"]
    print(f"\nRules on the outer curves (seeds {', '.join(seeds)}): chosen / stop epochs, "
          "validation NDCG@10 at the chosen epoch")
    for model, rules in record["rules"].items():
        for rule, row in rules.items():
            print(f"  {model:<10} {rule:<16} chosen {str(row['chosen']):<15} stop "
                  f"{str(row['stop']):<16} NDCG@10 {row['mean_valid_ndcg@10']:.4f} "
                  f"(vs best in budget {row['minus_best_in_budget']['mean']:+.4f})")
    print("\nNested: rule on the inner curve, epoch x scale, outer validation NDCG@10 "
          "(mean over seeds)")
    for model, rules in record["nested"]["models"].items():
        for rule, row in rules.items():
            cells = "  ".join(f"x{label}: {cell['mean']:.4f}" if cell["mean"] is not None
                              else f"x{label}: n/a" for label, cell in row["by_scale"].items())
            print(f"  {model:<10} {rule:<16} inner epoch {str(row['inner_chosen']):<14} {cells}")
    rec = record["recommendation"]
    best = rec["best_mean"]
    print(f"\nBest nested mean: {best['rule']} x {best['scale']} "
          f"({best['mean_outer_valid_ndcg@10']:.4f}); within one paired SE of it: "
          f"{', '.join(rec['within_one_se_of_best'])}")
    print(f"Recommended (one-SE rule): {rec['rule']} x {rec['scale']} "
          f"({rec['mean_outer_valid_ndcg@10']:.4f} over {rec['pairs']} model x seed pairs)")


if __name__ == "__main__":
    main()
