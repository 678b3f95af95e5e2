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

**k beyond the list.** When a user's list is shorter than ``k`` — ``k`` exceeds the movies left to
rank once the user's training movies are masked (or the catalogue), or a recommendations frame
lists fewer — the missing places count as misses: precision@k still divides by ``k``, and the
ideal list of NDCG and MAP's denominator still use ``min(k, |R_u|)``. Both paths below use this
definition, so they give the same numbers for every ``k``.

**Scores must be finite**, except ``-inf``, which marks a movie never to recommend. NaN or
``+inf`` (a diverged model) is an error naming how many scores and which users, never a metric.
An evaluation in which no recommended movie id occurs among the test ids at all warns: ids are
compared as strings, so ``1.0`` or ``"01"`` never matches MovieLens' ``"1"``.
``coverage@k`` is the share of the catalogue that appears in at least one user's top-k. Every
metric lies in [0, 1]; a value outside is refused as an error, never reported.

Two paths compute the same numbers:

* :func:`evaluate_ranking` — from a recommendations DataFrame (``user_id, movie_id, rank``);
* :func:`evaluate_scores` — vectorised: ranks *all* movies for all users from a score matrix or a
  scoring function, masking each user's training movies, in user batches so memory stays bounded.

:func:`top_k_categorical_accuracy` is the TFRS protocol (per test rating, no masking).
"""
from __future__ import annotations

import warnings
from typing import Callable

import numpy as np
import pandas as pd
import scipy.sparse as sp

from movierec_utils.interactions import as_ids
from movierec_utils.settings import check_setting

ScoreSource = np.ndarray | Callable[[np.ndarray], np.ndarray]
METRICS = ("precision", "recall", "ndcg", "map", "hit_rate", "mrr")


# --------------------------------------------------------------------------- core
def metrics_from_hits(hits: np.ndarray, n_relevant: np.ndarray,
                      k: int | None = None) -> dict[str, np.ndarray]:
    """Per-user metrics from a boolean ``(users, width)`` hit matrix (column ``i`` = rank
    ``i + 1``) and each user's |R_u| (> 0), at cut-off ``k`` (default: ``width``). Lists
    shorter than ``k`` (``width < k``) count their missing places as misses (module docstring).
    """
    hits = np.asarray(hits, dtype=float)
    n_relevant = np.asarray(n_relevant, dtype=float)
    if not len(n_relevant):
        raise ValueError("no user has test movies: there is nothing to evaluate")
    if (n_relevant <= 0).any():
        raise ValueError("every evaluated user needs at least one test movie")
    width = hits.shape[1]
    k = width if k is None else check_k(k)
    if width > k:
        raise ValueError(f"a hit matrix of {width} ranks is longer than k={k}")
    ideal_length = np.minimum(k, n_relevant).astype(np.int64)
    # Discounts up to the longest list or ideal list: bounded by the data, whatever k is.
    discounts = 1.0 / np.log2(np.arange(2, max(width, int(ideal_length.max())) + 2))
    n_hits = hits.sum(axis=1)
    ideal_dcg = np.cumsum(discounts)[ideal_length - 1]
    precision_at_i = np.cumsum(hits, axis=1) / np.arange(1, width + 1)
    first_hit = (np.where(n_hits > 0, hits.argmax(axis=1) + 1, np.inf) if width
                 else np.full(len(hits), np.inf))
    return {
        "precision": n_hits / k,
        "recall": n_hits / n_relevant,
        "ndcg": (hits * discounts[:width]).sum(axis=1) / ideal_dcg,
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

    A list shorter than ``k`` counts its missing places as misses (precision@k divides by
    ``k``), exactly as :func:`evaluate_scores` and ``model.evaluate`` do when ``k`` exceeds the
    movies a user has left to rank. When no recommended movie (or user) id occurs in ``test``
    at all, the ids are probably written differently (``1.0`` or ``"01"`` against ``"1"``):
    that is an error when they match as numbers, and a warning otherwise.
    """
    check_k(k)
    check_setting("per_user", per_user, kind=bool)
    check_setting("catalog_size", catalog_size, kind=int, low=1, allow_none=True)
    recs = _checked_recommendations(recommendations)
    relevant = _with_string_ids(test, "test", ("user_id", "movie_id")).drop_duplicates()
    if relevant.empty:
        raise ValueError("test has no ratings: there is nothing to evaluate")
    recs = recs[recs["rank"] <= k]
    _check_ids_meet(recs, relevant, "user_id", "user")
    users = np.sort(relevant["user_id"].unique())
    n_relevant = relevant.groupby("user_id").size().reindex(users).to_numpy()
    recs = recs[recs["user_id"].isin(users)]
    _check_ids_meet(recs, relevant, "movie_id", "movie")
    is_hit = pd.MultiIndex.from_frame(recs[["user_id", "movie_id"]]).isin(
        pd.MultiIndex.from_frame(relevant))
    width = int(recs["rank"].max()) if len(recs) else 0  # ≤ k: never a users × k array
    hits = np.zeros((len(users), width), dtype=bool)
    rows = pd.Index(users).get_indexer(recs["user_id"])
    hits[rows, recs["rank"].to_numpy(int) - 1] = is_hit
    if catalog_size is None:
        catalog_size = len(set(recs["movie_id"]) | set(relevant["movie_id"]))
    elif catalog_size < recs["movie_id"].nunique():
        raise ValueError(f"catalog_size={catalog_size} is smaller than the "
                         f"{recs['movie_id'].nunique()} distinct movies recommended")
    per_user_values = metrics_from_hits(hits, n_relevant, k)
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
    check_setting("max_block_bytes", max_block_bytes, kind=float, low=0, low_open=True)
    check_setting("batch_size", batch_size, kind=int, low=1, allow_none=True)
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
    place makes the list is arbitrary but the same on every run. ``k`` beyond the catalogue
    gives ``catalogue`` columns; a user with fewer unmasked items gets ``-inf`` padding.
    Scores that are NaN or ``+inf`` raise :class:`NonFiniteScoresError`.
    """
    check_k(k)
    _check_blocking(batch_size, max_block_bytes)
    users = _user_positions(scores, users, exclude.shape[0] if exclude is not None else None)
    item_parts, score_parts = [], []
    for _, items, values in _top_k_blocks(scores, k, users, exclude, batch_size,
                                          max_block_bytes):
        item_parts.append(items)
        score_parts.append(values)
    if not item_parts:  # no users: no columns either (k may exceed the unknown catalogue size)
        return np.empty((0, 0), dtype=int), np.empty((0, 0))
    return np.vstack(item_parts), np.vstack(score_parts)


def _user_positions(scores: ScoreSource, users, n_rows: int | None = None) -> np.ndarray:
    """``users`` (all score rows when None) as positions, checked against the score matrix's
    rows (or ``n_rows``, the rows of the aligned test/training matrices)."""
    if not callable(scores):
        if np.ndim(scores) != 2:
            raise ValueError(f"scores must be a (users, items) array or a function of user "
                             f"positions, got shape {np.shape(scores)}")
        if n_rows is not None and scores.shape[0] != n_rows:
            raise ValueError(f"scores have {scores.shape[0]} user rows but the test matrix "
                             f"{n_rows}: both are users × items, row for row")
        n_rows = scores.shape[0]
    if users is None:
        if callable(scores):
            raise ValueError("pass users= when scores is a function")
        return np.arange(n_rows)
    users = np.asarray(users)
    if users.size and (users.ndim != 1 or not np.issubdtype(users.dtype, np.integer)):
        raise ValueError(f"users must be a 1-d array of row positions (whole numbers), got "
                         f"{users.dtype} of shape {users.shape}")
    if users.size and n_rows is not None and (users.min() < 0 or users.max() >= n_rows):
        raise ValueError(f"user positions must lie in [0, {n_rows}), got {users.min()} … "
                         f"{users.max()}")
    return users.astype(np.int64, copy=False) if users.size else np.empty(0, np.int64)


def _top_k_blocks(scores: ScoreSource, k: int, users: np.ndarray, exclude, batch_size: int,
                  max_block_bytes: int):
    """``(block users, top-k items, their scores)`` per block of users, in order.

    Non-finite scores (NaN, ``+inf``) stop the ranking; the remaining blocks are only scanned,
    so the error counts them all, then :class:`NonFiniteScoresError` is raised."""
    n_items = exclude.shape[1] if exclude is not None else None
    if exclude is not None:
        exclude = sp.csr_matrix(exclude)
    bad = NonFiniteCounter(len(users), negated=True)
    for rows, block in _scored_blocks(scores, users, n_items, batch_size, max_block_bytes):
        batch = users[rows]
        # One pass makes the float64 working copy, negated (argpartition finds the smallest);
        # the source block is never modified, so a scorer may return a shared or cached array.
        negated = _negated(block)
        del block
        if bad.add(negated, batch) or bad:
            continue
        if exclude is not None:
            if exclude.shape[1] != negated.shape[1]:
                raise ValueError(f"the scores have {negated.shape[1]} columns but the masked "
                                 f"training matrix {exclude.shape[1]}: both are users × items")
            seen = exclude[batch]
            negated[np.repeat(np.arange(len(batch)), np.diff(seen.indptr)), seen.indices] = np.inf
        items, values = _top_k_block(negated, k)
        del negated
        yield batch, items, values
    bad.raise_if_any()


def _negated(block: np.ndarray) -> np.ndarray:
    """``-block`` as a new float64 array (one pass, whatever the source's float type)."""
    if block.dtype in (np.float64, np.float32, np.float16):
        return np.negative(block, dtype=np.float64)
    negated = np.array(block, dtype=np.float64)
    return np.negative(negated, out=negated)


class NonFiniteScoresError(ValueError):
    """Scores held NaN or ``+inf`` (``-inf`` is allowed: a movie never to recommend).
    ``users`` are the offending users' positions (score rows) and ``counts`` how many bad
    scores each has; ``n_users`` how many users were scored."""

    def __init__(self, users: np.ndarray, counts: np.ndarray, n_users: int, names=None):
        self.users, self.counts, self.n_users, self.names = users, counts, n_users, names
        shown = names if names is not None else users
        examples = ", ".join(repr(user) if isinstance(user, str) else str(int(user))
                             for user in shown[:5])
        label = "user ids" if names is not None else "user rows"
        super().__init__(
            f"{int(counts.sum()):,} scores are NaN or +inf, for {len(users):,} of {n_users:,} "
            f"users ({label} {examples}{' …' if len(users) > 5 else ''}); no ranking or metric "
            "can be computed from them. A model whose training diverged gives these: check its "
            "training loss and train with a smaller learning rate, or fix the scoring function "
            "(-inf, not NaN, marks a movie never to recommend).")

    def naming(self, ids) -> "NonFiniteScoresError":
        """The same error, naming users by ``ids[position]`` instead of their positions."""
        return NonFiniteScoresError(self.users, self.counts, self.n_users,
                                    names=[str(ids[user]) for user in self.users])


class NonFiniteCounter:
    """Finds score rows holding NaN or +inf, block by block, cheaply: a row's sum is NaN or
    +inf exactly when the row holds NaN or +inf (or overflows: then counted cell by cell).
    With ``negated=True`` the blocks are ``-scores`` (the bad values are NaN and -inf)."""

    def __init__(self, n_users: int, negated: bool = False):
        self.n_users, self.users, self.counts = n_users, [], []
        self.sign = -1.0 if negated else 1.0

    def add(self, block: np.ndarray, batch: np.ndarray) -> bool:
        """Record ``block``'s offending rows; whether there were any."""
        with np.errstate(over="ignore", invalid="ignore"):
            suspect = np.flatnonzero(~(self.sign * block.sum(axis=1) < np.inf))
        if not len(suspect):
            return False
        rows = block[suspect]
        counts = (np.isnan(rows) | (self.sign * rows == np.inf)).sum(axis=1)
        found = counts > 0
        self.users.append(batch[suspect[found]])
        self.counts.append(counts[found])
        return bool(found.any())

    def __bool__(self) -> bool:
        return any(len(part) for part in self.users)

    def raise_if_any(self) -> None:
        if self:
            raise NonFiniteScoresError(np.concatenate(self.users), np.concatenate(self.counts),
                                       self.n_users)


def _scored_blocks(scores: ScoreSource, users: np.ndarray, n_items: int | None,
                   batch_size: int, max_block_bytes: int, bytes_per_cell: int = BYTES_PER_CELL):
    """``(slice of users, score block)`` pairs covering ``users`` in order (the blocks are the
    source's own arrays, possibly read-only: never to be modified), each block
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
    """The scores of ``batch`` as a 2-d NumPy array, not copied: a function's output may be
    shared or read-only (e.g. ``np.broadcast_to``), so callers never modify it."""
    block = np.asarray(scores(batch) if callable(scores) else scores[batch])
    if block.ndim != 2 or block.shape[0] != len(batch):
        raise ValueError(f"scores for {len(batch)} user{'s' * (len(batch) != 1)} must be a "
                         f"({len(batch)}, items) array, got shape {tuple(block.shape)}")
    if not (np.issubdtype(block.dtype, np.number) or block.dtype == bool) or \
            np.issubdtype(block.dtype, np.complexfloating):
        raise ValueError(f"scores must be real numbers, got {block.dtype}")
    return block


def _top_k_block(negated: np.ndarray, k: int):
    """Top-k of each row of ``-scores`` (the smallest ``negated``), best first."""
    k = min(k, negated.shape[1])
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

    ``k`` beyond the movies a user has left to rank: the missing places are misses, as in
    :func:`evaluate_ranking` (module docstring). NaN or ``+inf`` scores raise
    :class:`NonFiniteScoresError` naming how many and for which user rows.
    """
    check_k(k)
    check_setting("per_user", per_user, kind=bool)
    _check_blocking(batch_size, max_block_bytes)
    test = _canonical(test)
    in_matrix = np.diff(test.indptr)
    n_relevant = in_matrix if n_relevant is None else np.asarray(n_relevant)
    if n_relevant.shape != in_matrix.shape or (n_relevant < in_matrix).any():
        raise ValueError("n_relevant needs one count per user row, at least the user's test items")
    users = np.flatnonzero(n_relevant > 0)
    if not len(users):
        raise ValueError("no user has test movies: there is nothing to evaluate")
    _user_positions(scores, users, test.shape[0])
    if exclude is not None and exclude.shape != test.shape:
        raise ValueError(f"exclude (the training matrix) is {exclude.shape[0]} × "
                         f"{exclude.shape[1]} but test {test.shape[0]} × {test.shape[1]}: both "
                         "are users × items over one catalogue")
    recommended = np.zeros(test.shape[1], dtype=bool)
    parts: list[dict[str, np.ndarray]] = []
    for batch, items, values in _top_k_blocks(scores, k, users, exclude, batch_size,
                                              max_block_bytes):
        valid = np.isfinite(values)  # a user with fewer than k unseen items gets -inf padding
        recommended[items[valid]] = True
        parts.append(metrics_from_hits(_hits(test[batch], items) & valid, n_relevant[batch], k))
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
    Queries are scored in blocks bounded like :func:`top_k`'s; NaN or ``+inf`` scores raise
    :class:`NonFiniteScoresError`.
    """
    check_k(k)
    _check_blocking(batch_size, max_block_bytes)
    users, items = _user_positions(scores, users), np.asarray(items)
    if users.shape != items.shape or users.ndim != 1:
        raise ValueError(f"users and items must be two 1-d arrays of one length (one pair per "
                         f"test rating), got shapes {users.shape} and {items.shape}")
    hits = 0
    bad = NonFiniteCounter(len(users))
    # No copy is modified here, but ``block > positive`` adds a byte per cell: same budget.
    for rows, block in _scored_blocks(scores, users, None, batch_size, max_block_bytes):
        if bad.add(block, users[rows]) or bad:
            continue
        positive = block[np.arange(len(block)), items[rows]][:, None]
        hits += int(((block > positive).sum(axis=1) < k).sum())
        del block  # before the next block is scored
    bad.raise_if_any()
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


def check_k(k) -> int:
    """``k`` when it is a whole number ≥ 1 (the length of a top-k list), else ``ValueError``."""
    return check_setting("k", k, kind=int, low=1)


def _check_blocking(batch_size, max_block_bytes) -> None:
    check_setting("batch_size", batch_size, kind=int, low=1)
    check_setting("max_block_bytes", max_block_bytes, kind=float, low=0, low_open=True)


def _check_ids_meet(recs: pd.DataFrame, relevant: pd.DataFrame, column: str, what: str) -> None:
    """Warn (or, when they match as numbers, refuse) when no recommended id of ``column``
    occurs in the test set: every metric would be 0 for a reason that is not the model."""
    recommended = pd.unique(recs[column])
    tested = pd.unique(relevant[column])
    if not len(recommended) or not set(recommended).isdisjoint(tested):
        return
    shown = ", ".join(repr(value) for value in recommended[:3])
    wanted = ", ".join(repr(value) for value in tested[:3])
    as_numbers = {_as_number(value) for value in tested} - {None}
    matching = [value for value in recommended[:1000] if _as_number(value) in as_numbers]
    message = (f"none of the {len(recommended):,} recommended {what} ids ({shown}, …) occurs "
               f"among the {len(tested):,} test {what} ids ({wanted}, …), so every metric "
               "would be 0. Ids are compared as strings, MovieLens' type (\"1\", not 1.0 or "
               "\"01\").")
    if matching:
        raise ValueError(message + f" They match as numbers (e.g. {matching[0]!r}): write both "
                         "the same way, e.g. frame['" + column + "'].astype(float).astype(int)"
                         ".astype(str).")
    warnings.warn(message + " Check that the recommendations and the test ratings come from "
                  "the same data set and split.", UserWarning, stacklevel=3)


def _as_number(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None
