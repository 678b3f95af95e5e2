"""Ranking evaluation — proven against hand-worked examples and a naive loop (tests/).

Definitions, for one user ``u`` with test movies ``R_u`` (binary relevance: every held-out rating
is relevant, whatever its stars) and top-k list ``L_u = (l_1, …, l_k)``; ``rel_i = [l_i ∈ R_u]``:

* ``precision@k = |L_u ∩ R_u| / k``
* ``recall@k    = |L_u ∩ R_u| / |R_u|``
* ``hit_rate@k  = [|L_u ∩ R_u| > 0]``
* ``ndcg@k      = DCG / IDCG`` with ``DCG = Σ_i rel_i / log2(i + 1)`` and ``IDCG`` the DCG of a
  perfect list, ``Σ_{i ≤ min(k, |R_u|)} 1 / log2(i + 1)``
* ``map@k       = Σ_i precision@i · rel_i / min(k, |R_u|)`` (average precision at k)
* ``mrr@k       = 1 / (position of the first hit)``, 0 without a hit

Each is averaged over the users that have test movies; a user with no recommendations scores 0.
``coverage@k`` is the share of the catalogue that appears in at least one user's top-k. Every
metric lies in [0, 1]; a value outside is refused as an error, never reported.

Two paths compute the same numbers:

* :func:`evaluate_ranking` — from a recommendations DataFrame (``user_id, movie_id, rank``);
* :func:`evaluate_scores` — vectorised: ranks *all* movies for all users from a score matrix or a
  scoring function, masking each user's training movies, in user batches so memory stays bounded.

:func:`top_k_categorical_accuracy` is the TFRS protocol (per test rating, no masking).
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd
import scipy.sparse as sp

from movierec_utils.interactions import as_ids

ScoreSource = np.ndarray | Callable[[np.ndarray], np.ndarray]
METRICS = ("precision", "recall", "ndcg", "map", "hit_rate", "mrr")


# --------------------------------------------------------------------------- core
def metrics_from_hits(hits: np.ndarray, n_relevant: np.ndarray) -> dict[str, np.ndarray]:
    """Per-user metrics from a boolean ``(users, k)`` hit matrix and each user's |R_u| (> 0)."""
    hits = np.asarray(hits, dtype=float)
    n_relevant = np.asarray(n_relevant, dtype=float)
    if not len(n_relevant):
        raise ValueError("no user has test movies: there is nothing to evaluate")
    if (n_relevant <= 0).any():
        raise ValueError("every evaluated user needs at least one test movie")
    k = hits.shape[1]
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    n_hits = hits.sum(axis=1)
    ideal_length = np.minimum(k, n_relevant).astype(int)
    ideal_dcg = np.cumsum(discounts)[ideal_length - 1]
    precision_at_i = np.cumsum(hits, axis=1) / np.arange(1, k + 1)
    first_hit = np.where(n_hits > 0, hits.argmax(axis=1) + 1, np.inf)
    return {
        "precision": n_hits / k,
        "recall": n_hits / n_relevant,
        "ndcg": (hits * discounts).sum(axis=1) / ideal_dcg,
        "map": (precision_at_i * hits).sum(axis=1) / ideal_length,
        "hit_rate": (n_hits > 0).astype(float),
        "mrr": 1.0 / first_hit,
    }


def summarise(per_user: dict[str, np.ndarray], k: int, coverage: float | None = None) -> dict:
    summary = {f"{name}@{k}": float(np.mean(values)) for name, values in per_user.items()}
    if coverage is not None:
        summary[f"coverage@{k}"] = float(coverage)
    # Each metric is a share or a mean of shares: outside [0, 1] (or NaN) it is a bug, not a result.
    impossible = {name: value for name, value in summary.items() if not 0.0 <= value <= 1.0}
    if impossible:
        raise RuntimeError(f"impossible metric values {impossible}: metrics lie in [0, 1]. The "
                           "evaluator's input is malformed in a way it does not check; please "
                           "report this with that input.")
    summary["n_users"] = int(len(next(iter(per_user.values()))))
    return summary


# --------------------------------------------------------------------------- DataFrame path
def evaluate_ranking(recommendations: pd.DataFrame, test: pd.DataFrame, k: int = 10,
                     catalog_size: int | None = None, per_user: bool = False):
    """Metrics of a recommendations frame (``user_id, movie_id, rank``; rank 1 = best).

    Each user's list must rank distinct movies with distinct whole ranks from 1; anything else
    is an error, not a score. Ids are compared as strings, as :meth:`Recommender.recommend`
    takes them, so 55 and "55" are the same user. ``catalog_size`` is the denominator of
    coverage (default: distinct movies in the recommendations and the test set). With
    ``per_user=True`` returns ``(summary, frame)``.
    """
    _check_k(k)
    recs = _checked_recommendations(recommendations)
    relevant = _with_string_ids(test, "test", ("user_id", "movie_id")).drop_duplicates()
    if relevant.empty:
        raise ValueError("test has no ratings: there is nothing to evaluate")
    recs = recs[recs["rank"] <= k]
    users = np.sort(relevant["user_id"].unique())
    n_relevant = relevant.groupby("user_id").size().reindex(users).to_numpy()
    recs = recs[recs["user_id"].isin(users)]
    is_hit = pd.MultiIndex.from_frame(recs[["user_id", "movie_id"]]).isin(
        pd.MultiIndex.from_frame(relevant))
    hits = np.zeros((len(users), k), dtype=bool)
    rows = pd.Index(users).get_indexer(recs["user_id"])
    hits[rows, recs["rank"].to_numpy(int) - 1] = is_hit
    if catalog_size is None:
        catalog_size = len(set(recs["movie_id"]) | set(relevant["movie_id"]))
    elif catalog_size < recs["movie_id"].nunique():
        raise ValueError(f"catalog_size={catalog_size} is smaller than the "
                         f"{recs['movie_id'].nunique()} distinct movies recommended")
    per_user_values = metrics_from_hits(hits, n_relevant)
    summary = summarise(per_user_values, k, recs["movie_id"].nunique() / catalog_size)
    if per_user:
        return summary, _per_user_frame(users, per_user_values, k)
    return summary


# --------------------------------------------------------------------------- vectorised path
def top_k(scores: ScoreSource, k: int, users: np.ndarray | None = None,
          exclude: sp.csr_matrix | None = None, batch_size: int = 2048):
    """Best ``k`` item positions and scores per user, best first, excluding ``exclude``'s items.

    ``scores`` is a ``(users, items)`` array or a function from user positions to such rows.
    Equal scores are ordered by item position; which of several items tied exactly at the k-th
    place makes the list is arbitrary but the same on every run.
    """
    _check_k(k)
    if users is None:
        if callable(scores):
            raise ValueError("pass users= when scores is a function")
        users = np.arange(scores.shape[0])
    users = np.asarray(users)
    item_parts, score_parts = [], []
    for start in range(0, len(users), batch_size):
        batch = users[start:start + batch_size]
        block = np.array(scores(batch) if callable(scores) else scores[batch], dtype=float)
        if exclude is not None:
            seen = exclude[batch]
            block[np.repeat(np.arange(len(batch)), np.diff(seen.indptr)), seen.indices] = -np.inf
        items, values = _top_k_block(block, k)
        item_parts.append(items)
        score_parts.append(values)
    if not item_parts:  # no users: no columns either (k may exceed the unknown catalogue size)
        return np.empty((0, 0), dtype=int), np.empty((0, 0))
    return np.vstack(item_parts), np.vstack(score_parts)


def _top_k_block(block: np.ndarray, k: int):
    k = min(k, block.shape[1])
    candidates = np.argpartition(-block, k - 1, axis=1)[:, :k]
    values = np.take_along_axis(block, candidates, axis=1)
    # Best first; equal scores by lower item position (np.lexsort sorts by its last key first).
    order = np.lexsort((candidates, -values), axis=1)
    return np.take_along_axis(candidates, order, axis=1), np.take_along_axis(values, order, axis=1)


def evaluate_scores(scores: ScoreSource, test: sp.csr_matrix, k: int = 10,
                    exclude: sp.csr_matrix | None = None, batch_size: int = 2048,
                    per_user: bool = False, n_relevant: np.ndarray | None = None):
    """Rank all items for every user with test items; metrics as in :func:`evaluate_ranking`.

    ``test`` and ``exclude`` (the training interactions, masked out) are ``users × items``
    matrices aligned with the scores. ``n_relevant`` (one count per matrix row) overrides |R_u|
    when some test items cannot be ranked — e.g. movies absent from training, which no model
    can recommend but which still count as relevant. Coverage is over all ``test.shape[1]`` items.
    """
    test = sp.csr_matrix(test)
    in_matrix = np.diff(test.indptr)
    n_relevant = in_matrix if n_relevant is None else np.asarray(n_relevant)
    if n_relevant.shape != in_matrix.shape or (n_relevant < in_matrix).any():
        raise ValueError("n_relevant needs one count per user row, at least the user's test items")
    users = np.flatnonzero(n_relevant > 0)
    items, values = top_k(scores, k, users, exclude, batch_size)
    valid = np.isfinite(values)  # a user with fewer than k unseen items gets -inf padding
    hits = np.asarray(test[users[:, None], items].todense(), dtype=bool) & valid
    per_user_values = metrics_from_hits(hits, n_relevant[users])
    coverage = len(np.unique(items[valid])) / test.shape[1]
    summary = summarise(per_user_values, k, coverage)
    if per_user:
        return summary, _per_user_frame(users, per_user_values, k)
    return summary


def top_k_categorical_accuracy(scores: ScoreSource, users: np.ndarray, items: np.ndarray,
                               k: int = 100, batch_size: int = 2048) -> float:
    """Share of (user, item) test pairs whose item is in the user's top-k of *all* items.

    The TFRS ``FactorizedTopK`` protocol: nothing is masked (already-rated movies compete), and
    an item counts as retrieved when fewer than ``k`` items score strictly higher than it.
    """
    _check_k(k)
    users, items = np.asarray(users), np.asarray(items)
    hits = 0
    for start in range(0, len(users), batch_size):
        batch_users, batch_items = users[start:start + batch_size], items[start:start + batch_size]
        block = np.asarray(scores(batch_users) if callable(scores) else scores[batch_users])
        positive = block[np.arange(len(batch_users)), batch_items][:, None]
        hits += int(((block > positive).sum(axis=1) < k).sum())
    return hits / max(len(users), 1)


# --------------------------------------------------------------------------- helpers
def _checked_recommendations(recommendations: pd.DataFrame) -> pd.DataFrame:
    """``user_id, movie_id, rank`` with string ids and integer ranks, or a clear error for a list
    no ranking produces (each would otherwise be scored as an impossible or wrong number)."""
    recs = _with_string_ids(recommendations, "recommendations", ("user_id", "movie_id", "rank"))
    rank = pd.to_numeric(recs["rank"], errors="coerce").to_numpy(dtype=float)
    problems = {
        "a rank that is not a whole number ≥ 1": ~np.isfinite(rank) | (rank < 1) | (rank % 1 > 0),
        "two movies at one rank of a user": recs.duplicated(["user_id", "rank"]).to_numpy(),
        "a movie listed twice for a user": recs.duplicated(["user_id", "movie_id"]).to_numpy(),
    }
    for what, bad in problems.items():
        if bad.any():
            examples = recs[bad].head(3).to_dict("records")
            raise ValueError(f"recommendations has {bad.sum()} row(s) with {what}, e.g. "
                             f"{examples}. Each user's list must rank distinct movies 1, 2, 3, …")
    return recs.assign(rank=rank.astype(int))


def _with_string_ids(frame, name: str, columns: tuple) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame) or not set(columns) <= set(frame.columns):
        raise ValueError(f"{name} must be a DataFrame with the columns {', '.join(columns)}")
    return frame[list(columns)].assign(user_id=as_ids(frame["user_id"]),
                                       movie_id=as_ids(frame["movie_id"]))


def _per_user_frame(users, per_user_values: dict, k: int) -> pd.DataFrame:
    frame = pd.DataFrame({f"{name}@{k}": values for name, values in per_user_values.items()})
    frame.insert(0, "user", users)
    return frame


def _check_k(k) -> None:
    if not isinstance(k, (int, np.integer)) or k <= 0:
        raise ValueError(f"k must be a positive whole number, got {k!r}")
