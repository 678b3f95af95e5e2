"""Train/validation/test splits — one place, two protocols.

* :func:`stratified_split` — per user, a seeded shuffle of that user's ratings, the first
  ``round(ratio * n)`` to train and the rest to test: the protocol of microsoft/recommenders'
  ``python_stratified_split`` (used in its LightGCN deep dive and ml-100k benchmark), so our
  ranking numbers can sit beside theirs. Every user appears in train and in test.
* :func:`random_split` — a seeded random share of *all* ratings: the TensorFlow Recommenders
  tutorials' 80/20 protocol, for comparison with their published numbers.

Both keep the input's columns and row order within each part, and never share a row between parts.
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def stratified_split(ratings: pd.DataFrame, ratio: float = 0.75, seed: int = 42,
                     valid_ratio: float | None = None, user_col: str = "user_id"):
    """Split every user's ratings ``ratio : 1 - ratio`` into ``(train, test)``.

    Each user's rows are shuffled with ``numpy.random.RandomState(seed)`` (pandas'
    ``sample(frac=1, random_state=seed)``, as microsoft/recommenders does) and the first
    ``round(ratio * n_user)`` go to train. With ``valid_ratio`` set, the train part is split again
    the same way (``1 - valid_ratio`` of it kept for training) and ``(train, valid, test)`` is
    returned, so tuning and early stopping never see the test set.
    """
    _check_ratio(ratio)
    is_train = np.zeros(len(ratings), dtype=bool)
    positions = np.arange(len(ratings))
    for _, user_positions in pd.Series(positions).groupby(ratings[user_col].to_numpy(),
                                                          sort=False):
        shuffled = user_positions.sample(frac=1, random_state=seed).to_numpy()
        is_train[shuffled[:round(ratio * len(shuffled))]] = True
    train, test = ratings.iloc[is_train], ratings.iloc[~is_train]
    if valid_ratio is None:
        return train, test
    train, valid = stratified_split(train, ratio=1 - valid_ratio, seed=seed, user_col=user_col)
    return train, valid, test


def random_split(ratings: pd.DataFrame, ratio: float = 0.8, seed: int = 42):
    """A seeded random ``ratio`` of all ratings to train, the rest to test (TFRS tutorials)."""
    _check_ratio(ratio)
    order = np.random.RandomState(seed).permutation(len(ratings))
    is_train = np.zeros(len(ratings), dtype=bool)
    is_train[order[:round(ratio * len(ratings))]] = True
    return ratings.iloc[is_train], ratings.iloc[~is_train]


def holdout_users(ratings: pd.DataFrame, fraction: float = 0.1, seed: int = 42,
                  user_col: str = "user_id"):
    """Put a seeded ``fraction`` of *users*, with all their ratings, aside: ``(rest, held_out)``.

    The cold-start protocol: a model trained on ``rest`` has never seen the held-out users.
    """
    _check_ratio(fraction)
    users = np.sort(ratings[user_col].unique())
    chosen = np.random.RandomState(seed).choice(users, size=round(fraction * len(users)),
                                                replace=False)
    held = ratings[user_col].isin(chosen).to_numpy()
    return ratings.iloc[~held], ratings.iloc[held]


def _check_ratio(ratio: float) -> None:
    if not 0 < ratio < 1:
        raise ValueError(f"ratio must be strictly between 0 and 1, got {ratio}")
