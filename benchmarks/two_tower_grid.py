"""Two-tower objectives, each given the same small learning-rate × L2 grid on validation data.

    .venv/bin/python benchmarks/two_tower_grid.py [--out results/two_tower_grid.json]

For each objective of notebook 01's ablation (in-batch softmax, in-batch + log-Q, full softmax;
each a mean cross-entropy per rating, accidental hits removed) it trains every (learning rate,
L2) pair of the grid on the validation protocol of the notebook (stratified_split seed 42, ratio
0.75, valid_ratio 0.15) with early stopping (patience 5) and records the best validation NDCG@10
and Recall@10 and the best epoch. Only validation data is used. Notebook 01 reads the file.
"""
from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import movierec_utils  # noqa: F401  (before TensorFlow)
from movierec_utils.data import load_ratings
from movierec_utils.models.two_tower import TwoTower
from movierec_utils.splits import stratified_split

LEARNING_RATES = (0.005, 0.01)
L2S = (0.01, 0.1)
OBJECTIVES = {"in_batch": 1024, "logq": 1024, "full_softmax": 64}  # loss -> batch size (set)


def run_grid(train_fit, valid, seed: int = 42) -> list[dict]:
    rows = []
    for loss, batch_size in OBJECTIVES.items():
        for learning_rate in LEARNING_RATES:
            for l2 in L2S:
                started = time.perf_counter()
                model = TwoTower(loss=loss, batch_size=batch_size, learning_rate=learning_rate,
                                 l2=l2, max_epochs=200, patience=5, seed=seed).fit(train_fit, valid)
                best = model.history_[model.best_epoch_ - 1]
                rows.append({"loss": loss, "batch_size": batch_size,
                             "learning_rate": learning_rate, "l2": l2,
                             "valid_ndcg@10": best["valid_ndcg@10"],
                             "valid_recall@10": best["valid_recall@10"],
                             "best_epoch": model.best_epoch_,
                             "seconds": time.perf_counter() - started})
                print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[1]
                                             / "results" / "two_tower_grid.json"))
    args = parser.parse_args()
    ratings = load_ratings("100k")
    train_fit, valid, _ = stratified_split(ratings, ratio=0.75, seed=42, valid_ratio=0.15)
    record = {"name": "two_tower_grid", "learning_rates": LEARNING_RATES, "l2s": L2S,
              "protocol": "stratified_split seed 42, ratio 0.75, valid_ratio 0.15; patience 5",
              "rows": run_grid(train_fit, valid),
              "machine": platform.node(), "written": time.strftime("%Y-%m-%d %H:%M:%S")}
    Path(args.out).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print("wrote", args.out)


if __name__ == "__main__":
    main()
