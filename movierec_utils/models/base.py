"""The one interface every recommender in this repository follows.

    model = SomeModel(seed=42)             # defaults = the configuration the notebooks report
    model.fit(train, valid=None)           # a ratings DataFrame (user_id, movie_id, movie_title…)
    model.recommend(["55", "100"], k=10)   # DataFrame user_id, rank, movie_id, movie_title, score
    model.evaluate(test, k=10)             # full-ranking metrics, training movies masked

A subclass implements ``_fit`` and either ``_compute_embeddings`` (every user's and every movie's
final vector: ``embeddings`` caches them until the weights change and ``_score`` is their dot
product) or ``_score`` itself (a ``users × catalogue`` score block), and lists the columns it
reads in ``required_columns``; ranking, masking, evaluation, input checks and
timing live here, once. Ids are handled as strings, MovieLens' type: 55 and "55" are one user.

Every setting is checked when the object is built — a subclass calls :func:`check_setting` in its
constructor for each argument — so a bad value is a ``ValueError`` naming the setting, the value
and the allowed range, never a silently worse model or a bare Python error later. The training-
loop settings a subclass keeps (``epochs``, ``max_epochs``, ``patience``, ``batch_size``: whole
numbers ≥ 1) are checked again by ``fit`` before any work, whatever the constructor did.
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
import scipy.sparse as sp

from movierec_utils import data, evaluation
from movierec_utils.interactions import IdIndex, UnknownIdError, as_ids, interaction_matrix
from movierec_utils.settings import check_layer_widths, check_setting, check_subset

__all__ = ["NotFittedError", "Recommender", "check_layer_widths", "check_setting", "check_subset",
           "refit_epochs"]


class NotFittedError(RuntimeError):
    """``recommend``/``evaluate`` was called before ``fit``."""


class Recommender:
    name = "base"
    #: Columns ``fit`` needs in ``train``; a subclass reading more (titles, genres, demographics)
    #: extends this, so a frame lacking them fails at once with the missing names.
    required_columns: tuple[str, ...] = ("user_id", "movie_id")

    def __init__(self, seed: int = 42):
        self.seed = check_setting("seed", seed, kind=int, low=0, high=2**32 - 1)
        self.fit_seconds_: float | None = None
        self.history_: list[dict] = []

    # ------------------------------------------------------------------ public interface
    def fit(self, train: pd.DataFrame, valid: pd.DataFrame | None = None, *,
            on_epoch=None) -> "Recommender":
        """Train on ``train``; with ``valid``, a model trained in epochs stops early on it.
        ``on_epoch(record)``, if given, is called after every epoch with that epoch's record
        (``history_``'s entry); an exception it raises ends the fit (a search prunes with it)."""
        self._check_training_settings()
        if on_epoch is not None and not callable(on_epoch):
            raise ValueError(f"on_epoch must be a function of one epoch's record, got "
                             f"{type(on_epoch).__name__}")
        self._on_epoch = on_epoch
        train = _checked_ratings(train, "train", self.required_columns)
        if "user_rating" in train:
            _check_star_ratings(train, "train")
        if valid is not None:
            valid = _checked_ratings(valid, "valid")
        started = time.perf_counter()
        self.users_ = IdIndex(train["user_id"], "user id")
        self.items_ = IdIndex(train["movie_id"], "movie id")
        self.seen_ = interaction_matrix(train, self.users_, self.items_)
        titles = train.drop_duplicates("movie_id").set_index("movie_id")
        self.titles_ = (titles["movie_title"].reindex(self.items_.ids).to_numpy()
                        if "movie_title" in titles else self.items_.ids.copy())
        self.history_ = []
        self.n_fit_ratings_ = len(train)
        self._fit(train, valid)
        self.fit_seconds_ = time.perf_counter() - started
        return self

    def recommend(self, user_ids, k: int = 10, exclude_seen: bool = True) -> pd.DataFrame:
        """Top-``k`` movies for each user id, best first, as a tidy DataFrame."""
        self._check_fitted()
        evaluation.check_k(k)
        check_setting("exclude_seen", exclude_seen, kind=bool)
        user_ids = as_ids(user_ids)
        codes = self.users_.codes(user_ids)
        with self._naming_users(self.users_.ids):
            items, scores = evaluation.top_k(self._score, k, codes,
                                             self.seen_ if exclude_seen else None)
        return self._recommendation_frame(user_ids, items, scores)

    def evaluate(self, test: pd.DataFrame, k: int = 10, per_user: bool = False):
        """Rank the whole catalogue for every test user (training movies masked); see
        :mod:`movierec_utils.evaluation` for the metric definitions — the same numbers as
        ``evaluate_ranking(model.recommend(users, k), test, k)`` for every ``k``, including
        ``k`` beyond the catalogue (missing places count as misses: precision@k divides by k).
        NaN or +inf scores are an error naming the users, never a metric."""
        self._check_fitted()
        evaluation.check_k(k)
        check_setting("per_user", per_user, kind=bool)
        return self._evaluate(_checked_ratings(test, "test"), k, per_user)

    def _evaluate(self, test: pd.DataFrame, k: int, per_user: bool = False):
        test_matrix, n_relevant = self._evaluation_inputs(test)
        with self._naming_users(self.users_.ids):
            return evaluation.evaluate_scores(self._score, test_matrix, k, exclude=self.seen_,
                                              per_user=per_user, n_relevant=n_relevant)

    def _evaluation_inputs(self, test: pd.DataFrame):
        """``(test matrix over the catalogue, relevant movies per user)`` for checked ratings of
        known users; what every evaluation of the same ratings shares."""
        users = self.users_.codes(test["user_id"], strict=False)
        if (users < 0).any():
            unknown = pd.unique(np.asarray(test["user_id"], dtype=object)[users < 0])
            raise UnknownIdError(
                f"{len(unknown)} test users are not in the training data (e.g. "
                f"{', '.join(repr(user) for user in unknown[:3])}); split with stratified_split "
                "so every user has training ratings, or use a cold-start model.")
        movies = self.items_.codes(test["movie_id"], strict=False)
        known = movies >= 0
        test_matrix = sp.csr_matrix((np.ones(known.sum()), (users[known], movies[known])),
                                    shape=(len(self.users_), len(self.items_)))
        test_matrix.sum_duplicates()
        # Relevant: each user's distinct test movies — the matrix row's (duplicates summed),
        # plus movies outside the catalogue, which cannot be ranked but still count.
        n_relevant = np.diff(test_matrix.indptr)
        if not known.all():
            outside = pd.factorize(np.asarray(test["movie_id"], dtype=object)[~known])[0]
            pairs = np.unique(users[~known].astype(np.int64) * (outside.max() + 1) + outside)
            n_relevant = n_relevant + np.bincount(pairs // (outside.max() + 1),
                                                  minlength=len(self.users_))
        if test_matrix.nnz == 0:
            examples = ", ".join(repr(movie) for movie in pd.unique(test["movie_id"])[:3])
            raise ValueError(
                f"none of the test movies ({examples}, …) is in the model's catalogue "
                f"({len(self.items_):,} movies, e.g. {self.items_.ids[0]!r}), so every metric "
                "would be 0. Ids are compared as strings, MovieLens' type (\"1\", not 1.0 or "
                "\"01\"): check that train and test come from the same data set and are "
                "written the same way.")
        return test_matrix, n_relevant

    @staticmethod
    def _naming_users(ids):
        """Re-raise the evaluator's non-finite-score error naming user ids, not positions."""
        return _NamingUsers(ids)

    def _evaluate_users_by_scores(self, ratings: pd.DataFrame, score_rows, k: int,
                                  per_user: bool):
        """Metrics for users outside the training data: ``score_rows(user_ids)`` gives their
        scores over the catalogue; all their ``ratings`` are relevant and nothing is masked."""
        self._check_fitted()
        evaluation.check_k(k)
        check_setting("per_user", per_user, kind=bool)
        ratings = _checked_ratings(ratings, "ratings")
        new_users = IdIndex(ratings["user_id"], "user id")
        test = interaction_matrix(ratings, new_users, self.items_, strict=False)
        with self._naming_users(new_users.ids):
            return evaluation.evaluate_scores(score_rows(new_users.ids), test, k,
                                              per_user=per_user,
                                              n_relevant=_relevant_counts(ratings, new_users.ids))

    def categorical_accuracy(self, ratings: pd.DataFrame, k: int = 100) -> float:
        """TFRS's top-k categorical accuracy over ``ratings`` (one query per rating, nothing
        masked). Ratings of users or movies the model never saw count as misses."""
        self._check_fitted()
        evaluation.check_k(k)
        ratings = _checked_ratings(ratings, "ratings")
        known = ratings["user_id"].isin(self.users_.ids) & ratings["movie_id"].isin(self.items_.ids)
        user_codes = self.users_.codes(ratings.loc[known, "user_id"])
        with self._naming_users(self.users_.ids):
            hits = evaluation.top_k_categorical_accuracy(
                self._score, user_codes, self.items_.codes(ratings.loc[known, "movie_id"]), k=k)
        return hits * known.mean()

    def refit(self, train: pd.DataFrame) -> "Recommender":
        """A fresh model with the same parameters trained on ``train`` — the last step before
        testing. After early stopping, for :func:`refit_epochs` epochs: the best validation epoch
        scaled by how many more ratings ``train`` holds than the part the model was fitted on."""
        self._check_fitted()
        params = self.get_params()
        if getattr(self, "stopped_on_validation_", False):
            params["epochs"] = refit_epochs(self.best_epoch_, len(train), self.n_fit_ratings_)
        elif hasattr(self, "best_epoch_"):
            params["epochs"] = self.best_epoch_
        return type(self)(**params).fit(train)

    def score(self, user_ids) -> np.ndarray:
        """Scores of every catalogue movie (``self.items_.ids`` order) for each user id."""
        self._check_fitted()
        return self._score(self.users_.codes(as_ids(user_ids)))

    @property
    def catalogue(self) -> pd.DataFrame:
        self._check_fitted()
        return pd.DataFrame({"movie_id": self.items_.ids, "movie_title": self.titles_})

    def get_params(self) -> dict:
        return {key: value for key, value in vars(self).items()
                if not key.endswith("_") and not key.startswith("_")}

    # ------------------------------------------------------------------ for subclasses
    def _fit(self, train: pd.DataFrame, valid: pd.DataFrame | None) -> None:
        raise NotImplementedError

    def _score(self, user_codes: np.ndarray) -> np.ndarray:
        users, movies = self.embeddings()
        return users[user_codes] @ movies.T

    def embeddings(self) -> tuple[np.ndarray, np.ndarray]:
        """Every user's and every movie's final vector (rows in the order of ``users_`` and
        ``items_``), computed by ``_compute_embeddings`` once per state of the weights."""
        if getattr(self, "_embeddings_cache", None) is None:
            self._embeddings_cache = self._compute_embeddings()
        return self._embeddings_cache

    def _compute_embeddings(self) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError(f"{type(self).__name__} scores without embeddings: it "
                                  "implements _score")

    def _train_epochs(self, run_epoch, valid: pd.DataFrame | None, get_state, set_state) -> None:
        """The shared training loop: ``run_epoch()`` trains one epoch and returns its mean loss.
        Each epoch's record holds its loss and training seconds (validation excluded).

        Without ``valid`` it trains ``self.epochs`` epochs. With ``valid``, NDCG@10 and
        Recall@10 are measured after every epoch with the full-ranking evaluator (the stopping
        rule needs each epoch's: the best one is restored); the validation ratings become a
        matrix once per fit, so an epoch's evaluation costs one scoring pass and a top-k.
        Training stops after ``self.patience`` epochs without a better NDCG@10 (or at
        ``self.max_epochs``, the budget) and the best epoch's state is restored. Sets
        ``history_`` and ``best_epoch_``.
        """
        self._check_training_settings()
        budget = getattr(self, "max_epochs", self.epochs) if valid is not None else self.epochs
        self.stopped_on_validation_ = valid is not None
        validation_metrics = self._validation_scorer(valid) if valid is not None else None
        best_state, best_score, waited = None, -np.inf, 0
        for epoch in range(1, budget + 1):
            started = time.perf_counter()
            record = {"epoch": epoch, "loss": float(run_epoch())}
            if not np.isfinite(record["loss"]):  # every later epoch, and the model, would be NaN
                raise FloatingPointError(
                    f"{type(self).__name__} diverged: the training loss of epoch {epoch} is "
                    f"{record['loss']}. Check the training ratings for missing or extreme "
                    "values, or train with a smaller learning_rate.")
            record["seconds"] = time.perf_counter() - started  # training only, not validation
            self._clear_cache()
            if valid is not None:
                metrics = validation_metrics()
                record.update({f"valid_{name}": metrics[name]
                               for name in ("ndcg@10", "recall@10")})
                if record["valid_ndcg@10"] > best_score:
                    best_state, best_score, waited = get_state(), record["valid_ndcg@10"], 0
                else:
                    waited += 1
            self.history_.append(record)
            if getattr(self, "_on_epoch", None) is not None:
                self._on_epoch(record)
            if valid is not None and waited >= self.patience:
                break
        if best_state is not None:
            set_state(best_state)
            self._clear_cache()
        scores = [record.get("valid_ndcg@10", -np.inf) for record in self.history_]
        self.best_epoch_ = int(np.argmax(scores)) + 1 if valid is not None else len(self.history_)

    def _clear_cache(self) -> None:
        """Forget the embeddings computed from the weights (called whenever they change)."""
        self._embeddings_cache = None

    def _validation_metrics(self, valid: pd.DataFrame, k: int = 10) -> dict:
        """Metrics on validation ratings of known users (for early stopping and tuning)."""
        return self._validation_scorer(valid, k)()

    def _validation_scorer(self, valid: pd.DataFrame, k: int = 10):
        """A function giving the current weights' metrics on ``valid`` (ratings of unknown
        users dropped): the ratings become a matrix once, each call scores and ranks."""
        valid = _checked_ratings(valid, "valid")
        known = valid[self.users_.codes(valid["user_id"], strict=False) >= 0]
        if known.empty:
            raise ValueError("no validation rating is of a user in the training data: split "
                             "with stratified_split(..., valid_ratio=...) so every user has "
                             "training ratings")
        test_matrix, n_relevant = self._evaluation_inputs(known)

        def metrics() -> dict:
            with self._naming_users(self.users_.ids):
                return evaluation.evaluate_scores(self._score, test_matrix, k,
                                                  exclude=self.seen_, n_relevant=n_relevant)
        return metrics

    #: Training-loop settings ``fit`` checks when a subclass has them: whole numbers ≥ 1.
    TRAINING_SETTINGS = ("epochs", "max_epochs", "patience", "batch_size")

    def _check_training_settings(self) -> None:
        for name in self.TRAINING_SETTINGS:
            if hasattr(self, name):
                check_setting(name, getattr(self, name), kind=int, low=1)

    # ------------------------------------------------------------------ helpers
    def _check_fitted(self) -> None:
        if self.fit_seconds_ is None:
            raise NotFittedError(f"{type(self).__name__} is not fitted yet: call "
                                 ".fit(train) before recommending or evaluating.")

    def _recommendation_frame(self, user_ids, items, scores) -> pd.DataFrame:
        k = items.shape[1]
        valid = np.isfinite(scores).ravel()  # fewer unseen movies than k: no padding rows
        frame = pd.DataFrame({
            "user_id": np.repeat(user_ids, k),
            "rank": np.tile(np.arange(1, k + 1), len(user_ids)),
            "movie_id": self.items_.ids[items.ravel()],
            "movie_title": self.titles_[items.ravel()],
            "score": scores.ravel(),
        })
        return frame[valid].reset_index(drop=True)

    def __repr__(self) -> str:
        params = ", ".join(f"{key}={value!r}" for key, value in self.get_params().items())
        return f"{type(self).__name__}({params})"


class _NamingUsers:
    """Context manager: :class:`evaluation.NonFiniteScoresError` re-raised naming user ids."""

    def __init__(self, ids):
        self.ids = ids

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if isinstance(error, evaluation.NonFiniteScoresError) and error.names is None:
            raise error.naming(self.ids) from None
        return False


def _relevant_counts(ratings: pd.DataFrame, user_ids) -> np.ndarray:
    """Distinct movies per user in ``ratings`` (0 for absent users), aligned with ``user_ids``.

    Counted from the ratings, not the model's matrix: test movies absent from training cannot be
    ranked but still count as relevant.
    """
    return (ratings.drop_duplicates(["user_id", "movie_id"]).groupby("user_id").size()
            .reindex(user_ids, fill_value=0).to_numpy())


def _checked_ratings(frame, name: str, columns=Recommender.required_columns) -> pd.DataFrame:
    """``frame`` with string ids, or a clear error when it is not a ratings table with
    ``columns``."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame of ratings, got "
                        f"{type(frame).__name__}")
    missing = [column for column in columns if column not in frame]
    if missing:
        raise ValueError(f"{name} lacks the column(s) {missing}; load ratings with "
                         "movierec_utils.data.load_ratings(), which has them all")
    if frame.empty:
        raise ValueError(f"{name} has no ratings")
    return frame.assign(user_id=as_ids(frame["user_id"]), movie_id=as_ids(frame["movie_id"]))


def _check_star_ratings(frame: pd.DataFrame, name: str) -> None:
    for what, bad in data.invalid_rating_rows(frame).items():
        if bad.any():
            examples = frame.loc[bad, ["user_id", "movie_id", "user_rating"]].head(3)
            raise ValueError(
                f"{name}['user_rating'] has {bad.sum()} row(s) with {what}, e.g. "
                f"{examples.to_dict('index')}. Drop or correct those rows before fit "
                "(movierec_utils.data.load_ratings() gives checked ratings).")


def refit_epochs(best_epoch: int, n_refit_ratings: int, n_fit_ratings: int) -> int:
    """Epochs for the refit on the whole training part: the best validation epoch times the
    ratio of ratings (about 1.18 when validation took 15%). More ratings per user move the
    validation peak later; choosing the epoch on an inner validation part and refitting on the
    outer one, ×ratio beat ×1 in 8 of 9 model/split pairs (benchmarks/stopping_rules.py)."""
    return max(1, round(best_epoch * n_refit_ratings / n_fit_ratings))
