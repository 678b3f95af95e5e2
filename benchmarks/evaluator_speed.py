"""Evaluator speed: full-ranking evaluation against a plain NumPy reference, at MovieLens shapes.

    .venv/bin/python benchmarks/evaluator_speed.py [--repeats 3] [--shapes 100k 1m]

Full ranking of every user against the catalogue, training movies masked, is a matrix product
and a top-k. For each shape — 100k (943 users × 1,682 movies, 100,000 ratings) and 1M (6,040 ×
3,706, 1,000,209 ratings) — it draws a seeded factor model (64 dimensions) and random
ratings of the data set's size (75% train, 25% test per user), then times, in the same process:

* **reference** — plain NumPy, everything at once: ``scores = U @ V.T``, training cells set to
  ``-inf``, ``argpartition`` top-k, the k best sorted, hits looked up in a dense test matrix,
  NDCG/recall/precision… from the definitions;
* **evaluator** — ``movierec_utils.evaluation.evaluate_scores`` with the scoring function a
  model passes (``U[users] @ V.T``), streaming users in memory-bounded blocks;
* **model.evaluate** — the same factors as a ``Recommender``, evaluated from a test-ratings
  DataFrame with string ids, as a lesson calls it (ids → positions and the test matrix, then
  the evaluator).

All three must give the same metrics (asserted to 1e-12). Seconds are CPU seconds
(``time.process_time``: other processes on a shared machine add little to them) and wall
seconds, the minimum over ``--repeats``. Writes results/evaluator_speed.json with provenance.
"""
from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import scipy.sparse as sp

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import pandas as pd  # noqa: E402

from movierec_utils import evaluation  # noqa: E402
from movierec_utils.models.base import Recommender  # noqa: E402

COMMAND = "python benchmarks/evaluator_speed.py"
SHAPES = {"100k": (943, 1682, 100_000), "1m": (6040, 3706, 1_000_209)}
K = 10
DIMENSIONS = 64


def make_problem(n_users: int, n_items: int, n_ratings: int, seed: int = 0):
    """Factors and a (train, test) pair of binary CSR matrices of about ``n_ratings`` cells."""
    rng = np.random.default_rng(seed)
    users = rng.normal(size=(n_users, DIMENSIONS))
    items = rng.normal(size=(n_items, DIMENSIONS))
    popularity = 1.0 / np.arange(1, n_items + 1) ** 0.8
    rows = rng.integers(0, n_users, n_ratings)
    cols = rng.choice(n_items, size=n_ratings, p=popularity / popularity.sum())
    matrix = sp.csr_matrix((np.ones(n_ratings), (rows, cols)), shape=(n_users, n_items))
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    is_train = rng.random(matrix.nnz) < 0.75
    train, test = matrix.copy(), matrix.copy()
    train.data = is_train.astype(float)
    test.data = (~is_train).astype(float)
    train.eliminate_zeros()
    test.eliminate_zeros()
    return users, items, train, test


def reference(users, items, train, test, k: int = K) -> dict:
    """Plain NumPy, all users at once (memory grows with users × items)."""
    scores = users @ items.T
    rows, cols = train.nonzero()
    scores[rows, cols] = -np.inf
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    top_scores = np.take_along_axis(scores, top, axis=1)
    order = np.lexsort((top, -top_scores), axis=1)
    top = np.take_along_axis(top, order, axis=1)
    evaluated = np.flatnonzero(np.diff(test.indptr) > 0)
    relevant = test.toarray().astype(bool)[evaluated]
    hits = np.take_along_axis(relevant, top[evaluated], axis=1).astype(float)
    n_relevant = relevant.sum(axis=1)
    discounts = 1 / np.log2(np.arange(2, k + 2))
    ideal = np.cumsum(discounts)[np.minimum(k, n_relevant) - 1]
    n_hits = hits.sum(axis=1)
    first = np.where(n_hits > 0, hits.argmax(axis=1) + 1, np.inf)
    return {f"precision@{k}": float(np.mean(n_hits / k)),
            f"recall@{k}": float(np.mean(n_hits / n_relevant)),
            f"ndcg@{k}": float(np.mean((hits * discounts).sum(axis=1) / ideal)),
            f"map@{k}": float(np.mean((np.cumsum(hits, axis=1) / np.arange(1, k + 1) * hits)
                                      .sum(axis=1) / np.minimum(k, n_relevant))),
            f"hit_rate@{k}": float(np.mean(n_hits > 0)),
            f"mrr@{k}": float(np.mean(1 / first))}


def evaluator(users, items, train, test, k: int = K) -> dict:
    return evaluation.evaluate_scores(lambda codes: users[codes] @ items.T, test, k,
                                      exclude=train)


class FactorModel(Recommender):
    """The factor model as a Recommender: ``model.evaluate(test_ratings)`` is what a lesson
    calls (ids → positions, the test matrix, then the evaluator)."""

    name = "factors"

    def __init__(self, users, items):
        super().__init__()
        self.user_factors, self.item_factors = users, items

    def _fit(self, train, valid):
        # positions of the ids (sorted as strings) in the factor matrices' integer order
        self.rows_ = self.users_.ids.astype(int)
        self.cols_ = self.items_.ids.astype(int)

    def _score(self, user_codes):
        return self.user_factors[self.rows_[user_codes]] @ self.item_factors[self.cols_].T


def as_ratings(matrix) -> pd.DataFrame:
    rows, cols = matrix.nonzero()
    return pd.DataFrame({"user_id": rows.astype(str), "movie_id": cols.astype(str)})


def model_evaluate(model, test_ratings, k: int = K) -> dict:
    return model.evaluate(test_ratings, k)


def timed(function, *args, repeats: int):
    """(result, min CPU seconds, min wall seconds) over ``repeats`` calls."""
    cpu, wall, result = [], [], None
    for _ in range(repeats):
        started_cpu, started_wall = time.process_time(), time.perf_counter()
        result = function(*args)
        cpu.append(time.process_time() - started_cpu)
        wall.append(time.perf_counter() - started_wall)
    return result, min(cpu), min(wall)


def measure(shape: str, repeats: int) -> dict:
    n_users, n_items, n_ratings = SHAPES[shape]
    problem = make_problem(n_users, n_items, n_ratings)
    expected, ref_cpu, ref_wall = timed(reference, *problem, repeats=repeats)
    got, ev_cpu, ev_wall = timed(evaluator, *problem, repeats=repeats)
    # every user and movie has a training rating here, so the model's catalogue is the matrix's
    model = FactorModel(problem[0], problem[1]).fit(as_ratings(problem[2]))
    assert len(model.users_) == n_users and len(model.items_) == n_items, "draw more ratings"
    by_model, model_cpu, model_wall = timed(model_evaluate, model, as_ratings(problem[3]),
                                            repeats=repeats)
    for metric, value in expected.items():
        assert abs(got[metric] - value) <= 1e-12, (shape, metric, got[metric], value)
        assert abs(by_model[metric] - value) <= 1e-12, (shape, metric, by_model[metric], value)
    return {"users": n_users, "movies": n_items, "ratings": n_ratings,
            "train_cells": int(problem[2].nnz), "test_cells": int(problem[3].nnz),
            "evaluated_users": int(got["n_users"]), "k": K, "dimensions": DIMENSIONS,
            "reference_cpu_seconds": round(ref_cpu, 4), "evaluator_cpu_seconds": round(ev_cpu, 4),
            "reference_wall_seconds": round(ref_wall, 4),
            "evaluator_wall_seconds": round(ev_wall, 4),
            "evaluator_over_reference_cpu": round(ev_cpu / ref_cpu, 3),
            "model_evaluate_cpu_seconds": round(model_cpu, 4),
            "model_evaluate_wall_seconds": round(model_wall, 4),
            "model_evaluate_over_reference_cpu": round(model_cpu / ref_cpu, 3),
            f"ndcg@{K}": got[f"ndcg@{K}"]}


def provenance() -> dict:
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--", "movierec_utils"],
                                    cwd=REPO, capture_output=True, text=True).stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        commit, dirty = None, None
    import os
    return {"command": COMMAND, "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
            "machine": {"cores": os.cpu_count(), "processor": platform.processor() or
                        platform.machine(),
                        "load_average_1min": round(os.getloadavg()[0], 2)},
            "commit": commit, "uncommitted_changes_in_movierec_utils": dirty,
            "versions": {"python": platform.python_version(), "numpy": np.__version__}}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--shapes", nargs="+", choices=sorted(SHAPES), default=["100k", "1m"])
    parser.add_argument("--output", type=Path, default=REPO / "results" / "evaluator_speed.json",
                        help="where to write the record ('-' prints it only)")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be a whole number ≥ 1, got {args.repeats}")
    record = {"shapes": {}, "provenance": provenance()}
    print(f"{'shape':<6} {'users × movies':>15} {'reference CPU s':>16} {'evaluator CPU s':>16} "
          f"{'ratio':>6} {'model.evaluate CPU s':>21} {'ratio':>6}")
    for shape in args.shapes:
        row = record["shapes"][shape] = measure(shape, args.repeats)
        print(f"{shape:<6} {row['users']:>7,} × {row['movies']:<5,} "
              f"{row['reference_cpu_seconds']:>16.3f} {row['evaluator_cpu_seconds']:>16.3f} "
              f"{row['evaluator_over_reference_cpu']:>6.2f} "
              f"{row['model_evaluate_cpu_seconds']:>21.3f} "
              f"{row['model_evaluate_over_reference_cpu']:>6.2f}")
    if str(args.output) != "-":
        from movierec_utils.paths import write_all  # write aside, then rename
        write_all({args.output: json.dumps(record, indent=2) + "\n"})
        print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
