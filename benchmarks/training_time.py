"""Training-time benchmark: the reported configurations, timed on this machine.

    .venv/bin/python benchmarks/training_time.py [--repeats 3]

For each model in MODELS it trains the configuration its notebook reported (results/*.json) on
stratified_split(seed=42) `--repeats` times and prints the median training seconds and the test
NDCG@10; it also times LightGCN's unoptimised prototype against the model per epoch
(``lightgcn_speed.measure``, see benchmarks/lightgcn_speed.py), as ratios measured in the same
run. Timings are whole training runs (early-stopping choices already made), not unit tests.
"""
from __future__ import annotations

import argparse
import statistics

import movierec_utils  # noqa: F401  (before TensorFlow)
from movierec_utils.data import load_ratings
from movierec_utils.models import MODELS
from movierec_utils.splits import stratified_split
from movierec_utils.summary import reported_configuration


def time_models(train, test, repeats: int) -> None:
    print(f"{'model':<12} {'median s':>9} {'min s':>7} {'max s':>7} {'NDCG@10':>8}")
    for name, model_class in MODELS.items():
        seconds, ndcg = [], None
        for _ in range(repeats):
            model = model_class(**reported_configuration(name, model_class)).fit(train)
            seconds.append(model.fit_seconds_)
            ndcg = model.evaluate(test)["ndcg@10"]
        print(f"{name:<12} {statistics.median(seconds):>9.2f} {min(seconds):>7.2f} "
              f"{max(seconds):>7.2f} {ndcg:>8.4f}")


def time_lightgcn_epochs(train) -> None:
    from lightgcn_speed import measure  # benchmarks/ is on sys.path when this file runs

    record = measure(train)
    print("\nLightGCN, 3 layers, seconds per epoch (fastest epoch after the first):")
    for label, seconds in record["seconds_per_epoch"].items():
        print(f"  {label:<58} {seconds:7.3f} s   "
              f"{record['speedup_vs_prototype'][label]:6.1f}x vs prototype")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    train, test = stratified_split(load_ratings("100k"), ratio=0.75, seed=42)
    time_models(train, test, args.repeats)
    time_lightgcn_epochs(train)


if __name__ == "__main__":
    main()
