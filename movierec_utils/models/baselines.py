"""Baselines every model is measured against: random, most-popular, and EASE (a strong linear
model, the bar the neural models must meet)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from movierec_utils.models.base import Recommender, check_setting


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
    ``l2`` (λ) is chosen on validation data when ``valid`` is given and ``l2="auto"``; the
    default, 800, is what notebook 00 chose that way on the main split. λ must be finite and
    > 0 (λ = 0 leaves ``XᵀX`` singular; λ < 0 fits a worse model): checked when the model is
    built, as are ``l2_grid`` (finite values > 0), ``max_items`` and ``max_bytes``.

    Memory grows with the square of the catalogue: fitting holds :data:`EASE_BYTES_PER_CELL`
    bytes per item pair (10.4 GB for 18,000 movies, 111.6 GB for MovieLens 25M's 59,047).
    ``fit`` refuses a catalogue whose estimate exceeds ``max_bytes`` before allocating anything.
    ``max_items=N`` models only the ``N`` movies rated most often in training (ties by id
    order): the others are scored ``-inf``, so they are never recommended, and their ratings
    neither inform the model nor count as a user's history in it (test ratings of them still
    count as relevant, and missed).
    """

    name = "ease"

    def __init__(self, l2: float | str = 800.0, seed: int = 42,
                 l2_grid: tuple = (50, 100, 200, 300, 500, 800, 1200),
                 max_items: int | None = None, max_bytes: float = 8 * 2**30):
        super().__init__(seed)
        self.l2 = check_setting("l2", l2, kind=(float, str), low=0, low_open=True,
                                choices=("auto",))
        if isinstance(l2_grid, (str, bytes)) or not hasattr(l2_grid, "__iter__"):
            raise ValueError(f"l2_grid must be a sequence of finite numbers > 0 (the λ values "
                             f"l2='auto' tries), got {l2_grid!r}")
        if not len(l2_grid):
            raise ValueError("l2_grid must hold at least one λ (finite, > 0), got an empty "
                             "sequence")
        for position, value in enumerate(l2_grid):
            check_setting(f"l2_grid[{position}]", value, kind=float, low=0, low_open=True)
        self.l2_grid = l2_grid
        self.max_items = check_setting("max_items", max_items, kind=int, low=1, allow_none=True)
        self.max_bytes = check_setting("max_bytes", max_bytes, kind=float, low=0, low_open=True)

    def _fit(self, train, valid):
        self.modelled_ = self._modelled_items()
        seen = self.seen_ if self.modelled_ is None else self.seen_[:, self.modelled_]
        self._check_memory(seen.shape[1])
        gram = (seen.T @ seen).toarray()
        if self.l2 == "auto":
            if valid is None:
                raise ValueError("EASE(l2='auto') chooses λ on validation data: pass valid=")
            self.l2_ = self._choose_l2(gram, valid)
        else:
            self.l2_ = float(self.l2)
        self.weights_ = None  # the previous fit's weights go before the next are computed
        self.weights_ = _ease_weights(gram, self.l2_, keep_gram=False)

    def _modelled_items(self) -> np.ndarray | None:
        """Positions of the ``max_items`` most-rated movies, in catalogue order (None: all)."""
        if self.max_items is None or self.max_items >= len(self.items_):
            return None
        counts = np.asarray(self.seen_.sum(axis=0)).ravel()
        return np.sort(np.argsort(-counts, kind="stable")[:self.max_items])

    def _check_memory(self, n_items: int) -> None:
        needed = ease_bytes(n_items)
        if needed > self.max_bytes:
            fits = int(np.sqrt(self.max_bytes / EASE_BYTES_PER_CELL))
            raise MemoryError(
                f"EASE on {n_items:,} movies needs about {needed / 2**30:.1f} GiB "
                f"({EASE_BYTES_PER_CELL} bytes per pair of movies: the {n_items:,} × {n_items:,} "
                f"float64 Gram matrix and its inversion), over max_bytes="
                f"{self.max_bytes / 2**30:.1f} GiB. Pass max_items=N to model only the N most-"
                f"rated movies (max_items={fits:,} fits; the others are never recommended), or "
                "raise max_bytes if this machine has the memory.")

    def _choose_l2(self, gram, valid: pd.DataFrame) -> float:
        best = None
        for l2 in self.l2_grid:
            self.weights_ = None
            self.weights_ = _ease_weights(gram, l2, keep_gram=True)
            ndcg = self._validation_metrics(valid)["ndcg@10"]
            self.history_.append({"l2": l2, "valid_ndcg@10": ndcg})
            if best is None or ndcg > best[1]:
                best = (l2, ndcg)
        return float(best[0])

    def _score(self, user_codes):
        if self.modelled_ is None:
            return np.asarray(self.seen_[user_codes] @ self.weights_)
        scores = np.full((len(user_codes), len(self.items_)), -np.inf)
        scores[:, self.modelled_] = self.seen_[user_codes][:, self.modelled_] @ self.weights_
        return scores


#: Peak bytes of an EASE fit per pair of modelled items: four float64 ``n × n`` matrices —
#: the Gram matrix (regularised in place) and ``np.linalg.inv``'s copy of it, identity
#: right-hand side and result (measured: 4.15 matrices at 3,000 items).
EASE_BYTES_PER_CELL = 4 * 8


def ease_bytes(n_items: int) -> int:
    """Estimated peak memory of fitting EASE on ``n_items`` items."""
    return int(n_items) ** 2 * EASE_BYTES_PER_CELL


def _ease_weights(gram: np.ndarray, l2: float, keep_gram: bool) -> np.ndarray:
    """``B`` from the Gram matrix. λ is added to its diagonal in place (bitwise what
    ``gram + l2 * I`` gives) and, with ``keep_gram``, the diagonal restored exactly afterwards;
    ``B`` is computed in the inverse's own memory (``-P / d`` is bitwise ``P / -d``)."""
    diagonal = np.diag_indices(len(gram))
    original = gram[diagonal].copy()
    gram[diagonal] += l2
    try:
        inverse = np.linalg.inv(gram)
    except np.linalg.LinAlgError as error:  # only for λ tiny against the counts: > 0 is PD
        raise ValueError(f"EASE cannot invert XᵀX + λI with l2={l2!r} ({error}): λ is too small "
                         "against the rating counts to regularise it; use a larger l2 (the "
                         "reported 800, or l2='auto' with validation data).") from None
    finally:
        if keep_gram:
            gram[diagonal] = original
    inverse /= -np.diag(inverse)
    inverse[diagonal] = 0.0
    return inverse
