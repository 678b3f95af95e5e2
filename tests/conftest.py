"""Shared fixtures: real MovieLens when it is available offline, small synthetic data otherwise."""
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import movierec_utils  # noqa: F401  (sets TF_USE_LEGACY_KERAS before anything imports TF)
from movierec_utils import data

REPO = Path(__file__).resolve().parents[1]
SHARED_GROUPLENS = REPO.parent / "shared" / "data" / "ml-100k"


def grouplens_dir() -> Path | None:
    candidate = Path(os.environ.get("MOVIELENS_DIR") or SHARED_GROUPLENS)
    return candidate if (candidate / "u.data").is_file() else None


requires_tfds = pytest.mark.skipif(
    not data._tfds_prepared("100k"),
    reason="MovieLens 100k is not prepared for tfds here: set TFDS_DATA_DIR to a prepared folder")
requires_grouplens = pytest.mark.skipif(
    grouplens_dir() is None,
    reason="no GroupLens ml-100k folder: set MOVIELENS_DIR (or have ../shared/data/ml-100k)")


@pytest.fixture(scope="session")
def movielens():
    if not data._tfds_prepared("100k"):
        pytest.skip("MovieLens 100k is not prepared for tfds: set TFDS_DATA_DIR")
    return data.load_ratings("100k")


def make_ratings(n_users: int = 30, n_movies: int = 40, per_user: int = 12,
                 seed: int = 0, taste: float = 3.0) -> pd.DataFrame:
    """Synthetic ratings with the MovieLens schema, a popularity skew and two taste groups:
    user u picks movies whose index (movie_id - 1) has u's parity ``taste`` times more often."""
    rng = np.random.default_rng(seed)
    popularity = 1.0 / np.arange(1, n_movies + 1) ** 0.7
    rows = []
    for user in range(1, n_users + 1):
        preference = np.where(np.arange(n_movies) % 2 == user % 2, taste, 1.0)
        weights = popularity * preference
        movies = rng.choice(n_movies, size=per_user, replace=False, p=weights / weights.sum())
        for movie in movies:
            rows.append({
                "user_id": str(user), "movie_id": str(movie + 1),
                "movie_title": f"Movie {movie + 1} ({1950 + movie % 50})",
                "user_rating": float(rng.integers(1, 6)), "timestamp": int(rng.integers(8e8, 9e8)),
                "movie_genres": np.array([movie % 19], dtype="int64"),
                "bucketized_user_age": int((1, 18, 25, 35, 45, 50, 56)[user % 7]),
                "raw_user_age": 20 + user % 40, "user_gender": "MF"[user % 2],
                "user_occupation_label": int(user % 22), "user_occupation_text": "other",
                "user_zip_code": f"{10000 + 137 * user:05d}",
            })
    return pd.DataFrame(rows)


@pytest.fixture
def synthetic():
    return make_ratings()


def assert_distinct_unseen(recs: pd.DataFrame, train: pd.DataFrame) -> None:
    """Each user's recommendations: no movie twice, and none the user rated in ``train``."""
    for user, group in recs.groupby("user_id"):
        assert group["movie_id"].is_unique
        assert set(train.loc[train["user_id"] == user, "movie_id"]).isdisjoint(group["movie_id"])


def write_grouplens(folder: Path, ratings: pd.DataFrame) -> Path:
    """An ml-100k-layout folder (``u.data``, ``u.item``, ``u.user``) holding ``ratings``
    (:func:`make_ratings`' schema), for loader tests that must not copy MovieLens."""
    folder.mkdir(parents=True, exist_ok=True)
    ratings[["user_id", "movie_id", "user_rating", "timestamp"]].astype(
        {"user_rating": int}).to_csv(folder / "u.data", sep="\t", header=False, index=False)
    movies = ratings.drop_duplicates("movie_id")
    (folder / "u.item").write_text("".join(
        f"{movie}|{title}|01-Jan-1995||http://example.org|"
        + "|".join("1" if flag == int(movie) % 19 else "0" for flag in range(19)) + "\n"
        for movie, title in zip(movies["movie_id"], movies["movie_title"])))
    users = ratings.drop_duplicates("user_id")
    (folder / "u.user").write_text("".join(
        f"{user}|{age}|{gender}|other|{zip_code}\n" for user, age, gender, zip_code in zip(
            users["user_id"], users["raw_user_age"], users["user_gender"],
            users["user_zip_code"])))
    return folder
