"""Training-time benchmark: the reported configurations, timed on this machine.

    .venv/bin/python benchmarks/training_time.py [--repeats 3] [--models ease two_tower …]
                                                 [--output results/training_time.json]
                                                 [--lightgcn-epochs]

For each model in MODELS (or those named) it trains the configuration its notebook reported
(results/*.json) on stratified_split(seed=42) `--repeats` times and prints the median, minimum
and maximum training seconds (``fit_seconds_``) and the test NDCG@10. It writes the same to
results/training_time.json (``--output -``: print only) with provenance: the command, the day,
the machine (cores, processor, load average when it started and ended) and the commit. Timings
are whole training runs (early-stopping choices already made), not unit tests; on a shared
machine other processes add time, so compare runs made in one sitting.

``--lightgcn-epochs`` also times LightGCN's unoptimised prototype against the model per epoch
(``lightgcn_speed.measure``, see benchmarks/lightgcn_speed.py), as ratios measured in the same
run.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import movierec_utils  # noqa: E402,F401  (before TensorFlow)
from movierec_utils.data import load_ratings  # noqa: E402
from movierec_utils.models import MODELS  # noqa: E402
from movierec_utils.splits import stratified_split  # noqa: E402
from movierec_utils.summary import reported_configuration  # noqa: E402

COMMAND = "python benchmarks/training_time.py"


def time_models(train, test, repeats: int, names) -> dict:
    """``{model: {median/min/max seconds, every run's seconds, test NDCG@10, parameters}}``."""
    print(f"{'model':<12} {'median s':>9} {'min s':>7} {'max s':>7} {'NDCG@10':>8}", flush=True)
    rows = {}
    for name in names:
        model_class = MODELS[name]
        parameters = reported_configuration(name, model_class)
        seconds, ndcg = [], None
        for _ in range(repeats):
            model = model_class(**parameters).fit(train)
            seconds.append(model.fit_seconds_)
            ndcg = model.evaluate(test)["ndcg@10"]
        rows[name] = {"median_seconds": round(statistics.median(seconds), 4),
                      "min_seconds": round(min(seconds), 4), "max_seconds": round(max(seconds), 4),
                      "seconds": [round(value, 4) for value in seconds],
                      "test_ndcg@10": round(ndcg, 6),
                      "parameters": {key: list(value) if isinstance(value, tuple) else value
                                     for key, value in parameters.items()}}
        print(f"{name:<12} {rows[name]['median_seconds']:>9.2f} {rows[name]['min_seconds']:>7.2f} "
              f"{rows[name]['max_seconds']:>7.2f} {ndcg:>8.4f}", flush=True)
    return rows


def time_lightgcn_epochs(train) -> dict:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from lightgcn_speed import measure

    record = measure(train)
    print("\nLightGCN, 3 layers, seconds per epoch (fastest epoch after the first):")
    for label, seconds in record["seconds_per_epoch"].items():
        print(f"  {label:<58} {seconds:7.3f} s   "
              f"{record['speedup_vs_prototype'][label]:6.1f}x vs prototype")
    return record


def provenance(command: str, load_before: float) -> dict:
    def git(*args):
        try:
            return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True,
                                  check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return None

    import numpy as np
    import tensorflow as tf

    return {"command": command, "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
            "machine": {"cores": os.cpu_count(),
                        "processor": platform.processor() or platform.machine(),
                        "load_average_1min_at_start": round(load_before, 2),
                        "load_average_1min_at_end": round(os.getloadavg()[0], 2)},
            "commit": git("rev-parse", "HEAD"),
            "uncommitted_changes": bool(git("status", "--porcelain", "--", "movierec_utils")),
            "versions": {"python": platform.python_version(), "numpy": np.__version__,
                         "tensorflow": tf.__version__}}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="training runs per model (≥ 1)")
    parser.add_argument("--models", nargs="+", choices=list(MODELS), default=list(MODELS),
                        help="which models (default: all)")
    parser.add_argument("--output", default=str(REPO / "results" / "training_time.json"),
                        help="JSON record to write ('-': print only)")
    parser.add_argument("--lightgcn-epochs", action="store_true",
                        help="also time LightGCN's prototype against the model per epoch")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be a whole number ≥ 1, got {args.repeats}")
    command = " ".join([COMMAND, *(sys.argv[1:] if argv is None else argv)])
    load_before = os.getloadavg()[0]
    train, test = stratified_split(load_ratings("100k"), ratio=0.75, seed=42)
    record = {"data": "MovieLens 100k, stratified_split(ratio=0.75, seed=42)",
              "repeats": args.repeats,
              "seconds": "fit_seconds_ of a fit on the training part (no validation)",
              "models": time_models(train, test, args.repeats, args.models)}
    if args.lightgcn_epochs:
        record["lightgcn_seconds_per_epoch"] = time_lightgcn_epochs(train)["seconds_per_epoch"]
    record["provenance"] = provenance(command, load_before)
    if args.output != "-":
        from movierec_utils.paths import write_all  # aside, then renamed: never half a file

        output = Path(args.output)
        output.parent.mkdir(parents=True, exist_ok=True)
        write_all({output: json.dumps(record, indent=2) + "\n"})
        print(f"wrote {output}")


if __name__ == "__main__":
    main()
