"""Train/validation/test splits — one place, two protocols.

* :func:`stratified_split` — per user, a seeded shuffle of that user's ratings, the first
  ``round(ratio * n)`` to train and the rest to test: the protocol of microsoft/recommenders'
  ``python_stratified_split`` (used in its LightGCN deep dive and ml-100k benchmark), so our
  ranking numbers can sit beside theirs. Every user appears in train, and every user with at
  least two ratings in test too (see :func:`stratified_split` for the few-ratings rule).
* :func:`random_split` — a seeded random share of *all* ratings: the TensorFlow Recommenders
  tutorials' 80/20 protocol, for comparison with their published numbers.
* :func:`temporal_split` — one global cut in time: the latest ratings are the test part, so no
  model learns from the future it is tested on; :func:`split_cold` puts aside the test ratings
  of users who have no training rating (cold users, reported separately).

Both keep the input's columns and row order within each part, and never share a row between parts.
Both refuse ratings holding a (user, movie) pair twice: its copies could land on both sides, and
the test set would then hold answers the model was trained on.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from movierec_utils.settings import check_setting


def stratified_split(ratings: pd.DataFrame, ratio: float = 0.75, seed: int = 42,
                     valid_ratio: float | None = None, user_col: str = "user_id"):
    """Split every user's ratings ``ratio : 1 - ratio`` into ``(train, test)``.

    Each user's rows are shuffled with ``numpy.random.RandomState(seed)`` (pandas'
    ``sample(frac=1, random_state=seed)``, as microsoft/recommenders does) and the first
    ``round(ratio * n_user)`` go to train, bounded so that every user keeps a training rating
    and every user with two or more ratings a test rating (a single rating stays in train). The
    bound only touches users too small to split, e.g. 1–2 ratings at ``ratio=0.75``; MovieLens
    users (≥ 20 ratings) are split exactly as microsoft/recommenders does.

    With ``valid_ratio`` set, the train part is split again the same way (``1 - valid_ratio`` of
    it kept for training) and ``(train, valid, test)`` is returned, so tuning and early stopping
    never see the test set.
    """
    _check_ratio(ratio)
    _check_seed(seed)
    check_setting("valid_ratio", valid_ratio, kind=float, low=0, high=1, low_open=True,
                  high_open=True, allow_none=True)
    _check_frame(ratings, user_col)
    _check_no_duplicates(ratings, user_col)
    is_train = np.zeros(len(ratings), dtype=bool)
    positions = np.arange(len(ratings))
    for _, user_positions in pd.Series(positions).groupby(ratings[user_col].to_numpy(),
                                                          sort=False):
        shuffled = user_positions.sample(frac=1, random_state=seed).to_numpy()
        n = len(shuffled)
        n_train = 1 if n == 1 else min(max(round(ratio * n), 1), n - 1)  # see the docstring
        is_train[shuffled[:n_train]] = True
    train, test = ratings.iloc[is_train], ratings.iloc[~is_train]
    if valid_ratio is None:
        return train, test
    train, valid = stratified_split(train, ratio=1 - valid_ratio, seed=seed, user_col=user_col)
    return train, valid, test


def random_split(ratings: pd.DataFrame, ratio: float = 0.8, seed: int = 42):
    """A seeded random ``ratio`` of all ratings to train, the rest to test (TFRS tutorials)."""
    _check_ratio(ratio)
    _check_seed(seed)
    _check_frame(ratings)
    _check_no_duplicates(ratings)
    order = np.random.RandomState(seed).permutation(len(ratings))
    is_train = np.zeros(len(ratings), dtype=bool)
    is_train[order[:round(ratio * len(ratings))]] = True
    return ratings.iloc[is_train], ratings.iloc[~is_train]


def temporal_split(ratings: pd.DataFrame, test_ratio: float = 0.2,
                   valid_ratio: float | None = None, time_col: str = "timestamp"):
    """Cut all ratings at one moment: the latest ``test_ratio`` of them become ``test``.

    Ratings are ordered by ``time_col`` (ties kept in row order) and everything after the
    cut — the time of the rating at position ``round((1 - test_ratio) * n)`` — is test; ratings
    at the cut's second stay together in train. With ``valid_ratio`` set, the train part is cut
    again the same way (its latest ``valid_ratio`` become ``valid``) and ``(train, valid, test)``
    is returned. Test users absent from train are *cold*: see :func:`split_cold`.
    """
    _check_ratio(test_ratio, "test_ratio")
    check_setting("valid_ratio", valid_ratio, kind=float, low=0, high=1, low_open=True,
                  high_open=True, allow_none=True)
    check_setting("time_col", time_col, kind=str)
    _check_frame(ratings, columns=("user_id", "movie_id", time_col))
    _check_no_duplicates(ratings)
    times = ratings[time_col].to_numpy()
    order = np.argsort(times, kind="stable")
    cut = times[order[min(max(round((1 - test_ratio) * len(ratings)), 1), len(ratings)) - 1]]
    is_test = times > cut
    if not is_test.any():
        raise ValueError(f"no rating is later than {time_col} {cut}: with test_ratio="
                         f"{test_ratio} the cut falls on the last second of the data; use a "
                         "larger test_ratio or ratings spanning more time")
    train, test = ratings.iloc[~is_test], ratings.iloc[is_test]
    if valid_ratio is None:
        return train, test
    train, valid = temporal_split(train, test_ratio=valid_ratio, time_col=time_col)
    return train, valid, test


def split_cold(train: pd.DataFrame, test: pd.DataFrame, user_col: str = "user_id"):
    """``(warm, cold)``: the test ratings of users who have training ratings, and the rest."""
    _check_frame(train, user_col, columns=(user_col,))
    _check_frame(test, user_col, columns=(user_col,))
    warm = test[user_col].isin(train[user_col].unique()).to_numpy()
    return test.iloc[warm], test.iloc[~warm]


def holdout_users(ratings: pd.DataFrame, fraction: float = 0.1, seed: int = 42,
                  user_col: str = "user_id"):
    """Put a seeded ``fraction`` of *users*, with all their ratings, aside: ``(rest, held_out)``.

    The cold-start protocol: a model trained on ``rest`` has never seen the held-out users.
    """
    check_setting("fraction", fraction, kind=float, low=0, high=1, low_open=True, high_open=True)
    _check_seed(seed)
    _check_frame(ratings, user_col, columns=(user_col,))
    users = np.sort(ratings[user_col].unique())
    chosen = np.random.RandomState(seed).choice(users, size=round(fraction * len(users)),
                                                replace=False)
    held = ratings[user_col].isin(chosen).to_numpy()
    return ratings.iloc[~held], ratings.iloc[held]


def _check_no_duplicates(ratings: pd.DataFrame, user_col: str = "user_id") -> None:
    repeated = ratings.duplicated([user_col, "movie_id"], keep=False).to_numpy()
    if repeated.any():
        example = ratings.loc[repeated, [user_col, "movie_id"]].iloc[0]
        raise ValueError(
            f"ratings hold {repeated.sum()} rows that repeat a ({user_col}, movie_id) pair, e.g. "
            f"user {example[user_col]!r}, movie {example['movie_id']!r}; split, the copies could "
            "land in train and test alike. Keep one rating per pair first, e.g. ratings."
            f"sort_values('timestamp').drop_duplicates(['{user_col}', 'movie_id'], keep='last').")


def _check_ratio(ratio: float, name: str = "ratio") -> None:
    check_setting(name, ratio, kind=float, low=0, high=1, low_open=True, high_open=True)


def _check_seed(seed) -> None:
    check_setting("seed", seed, kind=int, low=0, high=2**32 - 1)  # numpy's RandomState range


def _check_frame(ratings, user_col: str = "user_id", columns=None) -> None:
    check_setting("user_col", user_col, kind=str)
    if not isinstance(ratings, pd.DataFrame):
        raise ValueError(f"ratings must be a pandas DataFrame, got {type(ratings).__name__}")
    missing = [column for column in (columns or (user_col, "movie_id")) if column not in ratings]
    if missing:
        raise ValueError(f"ratings lack the column(s) {missing} (it has {list(ratings.columns)});"
                         " load them with movierec_utils.data.load_ratings()")
