"""Baselines every model must beat: random, most-popular, and EASE (a strong linear model)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from movierec_utils.models.base import Recommender


class Random(Recommender):
    """Uniformly random scores: the floor. Deterministic per (seed, user)."""

    name = "random"

    def _fit(self, train, valid):
        pass

    def _score(self, user_codes):
        return np.vstack([np.random.default_rng([self.seed, int(code)]).random(len(self.items_))
                          for code in user_codes]) if len(user_codes) else \
            np.empty((0, len(self.items_)))


class Popularity(Recommender):
    """Every user gets the movies rated most often in training (that they have not seen)."""

    name = "popularity"

    def _fit(self, train, valid):
        self.counts_ = np.asarray(self.seen_.sum(axis=0)).ravel()

    def _score(self, user_codes):
        return np.broadcast_to(self.counts_, (len(user_codes), len(self.counts_)))

    def evaluate_new_users(self, ratings: pd.DataFrame, k: int = 10, per_user: bool = False):
        """Users never seen in training get the most popular movies (the cold-start baseline)."""
        return self._evaluate_users_by_scores(
            ratings, lambda ids: np.broadcast_to(self.counts_, (len(ids), len(self.counts_))),
            k, per_user)


class EASE(Recommender):
    """Embarrassingly Shallow Autoencoder (Steck, WWW 2019): a closed-form item-item model.

    ``B = argmin ||X - XB||² + λ||B||²`` with ``diag(B) = 0`` has the solution
    ``P = (XᵀX + λI)⁻¹``, ``B = -P / diag(P)`` (column-wise), ``B_ii = 0``; scores are ``X B``.
    ``l2`` (λ) is chosen on validation data when ``valid`` is given and ``l2="auto"``.
    """

    name = "ease"

    def __init__(self, l2: float | str = 500.0, seed: int = 42,
                 l2_grid: tuple = (50, 100, 200, 300, 500, 800, 1200)):
        super().__init__(seed)
        self.l2 = l2
        self.l2_grid = l2_grid

    def _fit(self, train, valid):
        gram = (self.seen_.T @ self.seen_).toarray()
        if self.l2 == "auto":
            if valid is None:
                raise ValueError("EASE(l2='auto') chooses λ on validation data: pass valid=")
            self.l2_ = self._choose_l2(gram, valid)
        else:
            self.l2_ = float(self.l2)
        self.weights_ = _ease_weights(gram, self.l2_)

    def _choose_l2(self, gram, valid: pd.DataFrame) -> float:
        best = None
        for l2 in self.l2_grid:
            self.weights_ = _ease_weights(gram, l2)
            ndcg = self._validation_metrics(valid)["ndcg@10"]
            self.history_.append({"l2": l2, "valid_ndcg@10": ndcg})
            if best is None or ndcg > best[1]:
                best = (l2, ndcg)
        return float(best[0])

    def _score(self, user_codes):
        return np.asarray(self.seen_[user_codes] @ self.weights_)


def _ease_weights(gram: np.ndarray, l2: float) -> np.ndarray:
    regularised = gram + l2 * np.eye(len(gram))
    inverse = np.linalg.inv(regularised)
    weights = -inverse / np.diag(inverse)
    np.fill_diagonal(weights, 0.0)
    return weights
