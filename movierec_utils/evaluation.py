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
#: Default working memory of one block of users × items: the evaluator ranks users in blocks of
#: at most this many bytes (plus its outputs, which grow with users × k, never with items).
DEFAULT_BLOCK_BYTES = 256 * 2**20
#: Bytes one score cell costs at the peak of a block: the score source's row as produced
#: (float64), the evaluator's float64 copy it masks in place, and argpartition's int64 positions.
BYTES_PER_CELL = 24


def block_rows(n_items: int, max_block_bytes: int = DEFAULT_BLOCK_BYTES,
               batch_size: int | None = None, bytes_per_cell: int = BYTES_PER_CELL) -> int:
    """Users per block so that ``users × n_items`` cells fit ``max_block_bytes`` (at least one
    user: a single row over budget is still ranked), capped at ``batch_size``."""
    if max_block_bytes <= 0:
        raise ValueError(f"max_block_bytes must be positive, got {max_block_bytes}")
    rows = max(1, int(max_block_bytes // (max(n_items, 1) * bytes_per_cell)))
    return min(rows, batch_size) if batch_size else rows


def top_k(scores: ScoreSource, k: int, users: np.ndarray | None = None,
          exclude: sp.csr_matrix | None = None, batch_size: int = 2048,
          max_block_bytes: int = DEFAULT_BLOCK_BYTES):
    """Best ``k`` item positions and scores per user, best first, excluding ``exclude``'s items.

    ``scores`` is a ``(users, items)`` array or a function from user positions to such rows.
    Users are ranked in blocks of at most ``batch_size`` users and ``max_block_bytes`` of working
    memory (see :func:`block_rows`); the result is the same for any block size.
    Equal scores are ordered by item position; which of several items tied exactly at the k-th
    place makes the list is arbitrary but the same on every run.
    """
    _check_k(k)
    users = _user_positions(scores, users)
    item_parts, score_parts = [], []
    for _, items, values in _top_k_blocks(scores, k, users, exclude, batch_size,
                                          max_block_bytes):
        item_parts.append(items)
        score_parts.append(values)
    if not item_parts:  # no users: no columns either (k may exceed the unknown catalogue size)
        return np.empty((0, 0), dtype=int), np.empty((0, 0))
    return np.vstack(item_parts), np.vstack(score_parts)


def _user_positions(scores: ScoreSource, users) -> np.ndarray:
    if users is None:
        if callable(scores):
            raise ValueError("pass users= when scores is a function")
        return np.arange(scores.shape[0])
    return np.asarray(users)


def _top_k_blocks(scores: ScoreSource, k: int, users: np.ndarray, exclude, batch_size: int,
                  max_block_bytes: int):
    """``(block users, top-k items, their scores)`` per block of users, in order."""
    n_items = exclude.shape[1] if exclude is not None else None
    for rows, block in _scored_blocks(scores, users, n_items, batch_size, max_block_bytes):
        batch = users[rows]
        if exclude is not None:
            seen = exclude[batch]
            block[np.repeat(np.arange(len(batch)), np.diff(seen.indptr)), seen.indices] = -np.inf
        items, values = _top_k_block(block, k)
        del block
        yield batch, items, values


def _scored_blocks(scores: ScoreSource, users: np.ndarray, n_items: int | None,
                   batch_size: int, max_block_bytes: int, bytes_per_cell: int = BYTES_PER_CELL):
    """``(slice of users, float64 score block)`` pairs covering ``users`` in order, each block
    sized by :func:`block_rows`. When the catalogue size is unknown (a scoring function), the
    first block is a single user, which tells it."""
    if n_items is None and not callable(scores):
        n_items = scores.shape[1]
    rows = 1 if n_items is None else block_rows(n_items, max_block_bytes, batch_size,
                                                bytes_per_cell)
    start = 0
    while start < len(users):
        part = slice(start, min(start + rows, len(users)))
        block = _score_block(scores, users[part])
        n_items = block.shape[1]
        yield part, block
        del block  # the caller's reference goes with its next iteration
        start = part.stop
        rows = block_rows(n_items, max_block_bytes, batch_size, bytes_per_cell)


def _score_block(scores: ScoreSource, batch: np.ndarray) -> np.ndarray:
    """A float64 block the caller may modify: rows of an array are a fresh copy already; a
    function's output is copied, as it may be shared or read-only (e.g. ``np.broadcast_to``)."""
    if callable(scores):
        return np.array(scores(batch), dtype=float)
    return np.asarray(scores[batch], dtype=float)


def _top_k_block(block: np.ndarray, k: int):
    """Top-k of each row; ``block`` is overwritten (negated in place, saving a copy)."""
    k = min(k, block.shape[1])
    negated = np.negative(block, out=block)
    candidates = np.argpartition(negated, k - 1, axis=1)[:, :k]
    values = -np.take_along_axis(negated, candidates, axis=1)
    # Best first; equal scores by lower item position (np.lexsort sorts by its last key first).
    order = np.lexsort((candidates, -values), axis=1)
    return np.take_along_axis(candidates, order, axis=1), np.take_along_axis(values, order, axis=1)


def evaluate_scores(scores: ScoreSource, test: sp.csr_matrix, k: int = 10,
                    exclude: sp.csr_matrix | None = None, batch_size: int = 2048,
                    per_user: bool = False, n_relevant: np.ndarray | None = None,
                    max_block_bytes: int = DEFAULT_BLOCK_BYTES):
    """Rank all items for every user with test items; metrics as in :func:`evaluate_ranking`.

    ``test`` and ``exclude`` (the training interactions, masked out) are ``users × items``
    matrices aligned with the scores. ``n_relevant`` (one count per matrix row) overrides |R_u|
    when some test items cannot be ranked — e.g. movies absent from training, which no model
    can recommend but which still count as relevant. Coverage is over all ``test.shape[1]`` items.

    Users are streamed in blocks (see :func:`top_k`): working memory stays within about
    ``max_block_bytes`` plus a few arrays of ``users × k`` and the sparse inputs, whatever the
    catalogue size; a user × item matrix is never built.
    """
    _check_k(k)
    test = _canonical(test)
    in_matrix = np.diff(test.indptr)
    n_relevant = in_matrix if n_relevant is None else np.asarray(n_relevant)
    if n_relevant.shape != in_matrix.shape or (n_relevant < in_matrix).any():
        raise ValueError("n_relevant needs one count per user row, at least the user's test items")
    users = np.flatnonzero(n_relevant > 0)
    if not len(users):
        raise ValueError("no user has test movies: there is nothing to evaluate")
    recommended = np.zeros(test.shape[1], dtype=bool)
    parts: list[dict[str, np.ndarray]] = []
    for batch, items, values in _top_k_blocks(scores, k, users, exclude, batch_size,
                                              max_block_bytes):
        valid = np.isfinite(values)  # a user with fewer than k unseen items gets -inf padding
        recommended[items[valid]] = True
        parts.append(metrics_from_hits(_hits(test[batch], items) & valid, n_relevant[batch]))
    per_user_values = {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}
    summary = summarise(per_user_values, k, recommended.sum() / test.shape[1])
    if per_user:
        return summary, _per_user_frame(users, per_user_values, k)
    return summary


def _canonical(matrix) -> sp.csr_matrix:
    """A CSR copy with sorted indices and neither repeated nor explicitly stored zero entries."""
    matrix = sp.csr_matrix(matrix, copy=True)
    matrix.sum_duplicates()
    matrix.eliminate_zeros()
    matrix.sort_indices()
    return matrix


def _hits(test_rows: sp.csr_matrix, items: np.ndarray) -> np.ndarray:
    """``hits[i, j]``: is ``items[i, j]`` among the test items of row ``i`` (sorted CSR rows)?
    One binary search per recommended cell into the block's test entries, keyed by
    ``row × n_items + item`` (sorted, as the rows are)."""
    n_items = test_rows.shape[1]
    counts = np.diff(test_rows.indptr)
    test_keys = np.repeat(np.arange(len(counts), dtype=np.int64), counts) * n_items \
        + test_rows.indices
    if not len(test_keys):
        return np.zeros(items.shape, dtype=bool)
    keys = np.arange(len(items), dtype=np.int64)[:, None] * n_items + items
    found = np.minimum(np.searchsorted(test_keys, keys), len(test_keys) - 1)
    return test_keys[found] == keys


def top_k_categorical_accuracy(scores: ScoreSource, users: np.ndarray, items: np.ndarray,
                               k: int = 100, batch_size: int = 2048,
                               max_block_bytes: int = DEFAULT_BLOCK_BYTES) -> float:
    """Share of (user, item) test pairs whose item is in the user's top-k of *all* items.

    The TFRS ``FactorizedTopK`` protocol: nothing is masked (already-rated movies compete), and
    an item counts as retrieved when fewer than ``k`` items score strictly higher than it.
    Queries are scored in blocks bounded like :func:`top_k`'s.
    """
    _check_k(k)
    users, items = np.asarray(users), np.asarray(items)
    hits = 0
    # No copy is modified here, but ``block > positive`` adds a byte per cell: same budget.
    for rows, block in _scored_blocks(scores, users, None, batch_size, max_block_bytes):
        positive = block[np.arange(len(block)), items[rows]][:, None]
        hits += int(((block > positive).sum(axis=1) < k).sum())
        del block  # before the next block is scored
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
