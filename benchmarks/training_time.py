"""Training-time benchmark: the reported configurations, timed on this machine.

    .venv/bin/python benchmarks/training_time.py [--repeats 3]

For each model in MODELS it trains the configuration its notebook reported (results/*.json) on
stratified_split(seed=42) `--repeats` times and prints the median training seconds and the test
NDCG@10; it also times LightGCN's unoptimised prototype against the fast implementation per
epoch (3 layers, the prototype's BPR loss and batches of 1,024), as a ratio measured in the same
run. Timings are whole training runs (early-stopping choices already made), not unit tests.
"""
from __future__ import annotations

import argparse
import statistics

import movierec_utils  # noqa: F401  (before TensorFlow)
from movierec_utils.data import load_ratings
from movierec_utils.models import MODELS, LightGCN
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
    per_epoch = {}
    for implementation, epochs in (("naive", 2), ("fast", 4)):
        model = LightGCN(n_layers=3, loss="bpr", batch_size=1024, learning_rate=0.005,
                         implementation=implementation, epochs=epochs).fit(train)
        times = [record["seconds"] for record in model.history_][1:]  # skip tracing/warm-up
        per_epoch[f"{implementation}, BPR, 1,024 ratings/batch"] = statistics.median(times)
    softmax = LightGCN(n_layers=3, epochs=4).fit(train)
    per_epoch["fast, softmax by user (default)"] = statistics.median(
        [record["seconds"] for record in softmax.history_][1:])
    print("\nLightGCN, 3 layers, seconds per epoch (median of epochs after the first):")
    for label, seconds in per_epoch.items():
        naive = per_epoch["naive, BPR, 1,024 ratings/batch"]
        print(f"  {label:<34} {seconds:7.3f} s   {naive / seconds:6.1f}x vs naive")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    train, test = stratified_split(load_ratings("100k"), ratio=0.75, seed=42)
    time_models(train, test, args.repeats)
    time_lightgcn_epochs(train)


if __name__ == "__main__":
    main()
