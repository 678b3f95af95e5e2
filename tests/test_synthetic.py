"""The synthetic MovieLens-shaped generator: schema, determinism, constraints and shape."""
import numpy as np
import pandas as pd
import pytest

from benchmarks import synthetic
from benchmarks.synthetic import synthetic_ratings, to_loader_dtypes

ML100K_SIZE = (943, 1_682, 100_000)


@pytest.fixture(scope="module")
def at_ml100k_size():
    return synthetic_ratings(*ML100K_SIZE, seed=0)


def test_schema_equals_the_real_loaders(movielens):
    fake = synthetic_ratings(40, 60, 1_200, seed=1)
    assert list(fake.columns) == list(movielens.columns)
    assert fake.dtypes.to_dict() == movielens.dtypes.to_dict()
    for column in movielens.columns:  # and the same Python/NumPy types inside object columns
        assert type(fake[column].iloc[0]) is type(movielens[column].iloc[0]), column
    assert fake["movie_genres"].iloc[0].dtype == movielens["movie_genres"].iloc[0].dtype


def test_schema_without_the_real_data():
    fake = synthetic_ratings(40, 60, 1_200, seed=1)
    assert tuple(fake.columns) == synthetic.COLUMNS
    assert {column: str(dtype) for column, dtype in fake.dtypes.items()} == {
        "user_id": "str", "movie_id": "str", "movie_title": "str", "user_rating": "float32",
        "timestamp": "int64", "movie_genres": "object", "bucketized_user_age": "int64",
        "raw_user_age": "int64", "user_gender": "str", "user_occupation_label": "int64",
        "user_occupation_text": "str", "user_zip_code": "str"}


def test_compact_frame_holds_the_same_values():
    compact = synthetic_ratings(60, 80, 2_000, seed=3, compact=True)
    plain = synthetic_ratings(60, 80, 2_000, seed=3)
    assert isinstance(compact["user_id"].dtype, pd.CategoricalDtype)
    assert compact.memory_usage(deep=True).sum() < plain.memory_usage(deep=True).sum() / 4
    expanded = to_loader_dtypes(compact)
    pd.testing.assert_frame_equal(expanded.drop(columns="movie_genres"),
                                  plain.drop(columns="movie_genres"))
    assert [list(g) for g in expanded["movie_genres"]] == [list(g) for g in plain["movie_genres"]]


def test_same_seed_same_frame_other_seed_other_frame():
    first = synthetic_ratings(50, 70, 1_500, seed=7, compact=True)
    pd.testing.assert_frame_equal(first, synthetic_ratings(50, 70, 1_500, seed=7, compact=True))
    assert not first.equals(synthetic_ratings(50, 70, 1_500, seed=8, compact=True))


@pytest.mark.parametrize("n_users, n_movies, n_ratings", [
    (50, 70, 1_500),     # ordinary
    (5, 25, 122),        # all but 3 pairs of the matrix: the exact fallback draws the rest
    (3, 20, 60),         # the whole matrix
    (200, 1_000, 4_000), # everyone at the minimum, every movie rated
    (*ML100K_SIZE,),
])
def test_counts_pairs_and_minimum_activity(n_users, n_movies, n_ratings):
    frame = synthetic_ratings(n_users, n_movies, n_ratings, seed=0, compact=True)
    assert len(frame) == n_ratings
    assert not frame.duplicated(["user_id", "movie_id"]).any()
    per_user = frame.groupby("user_id", observed=False).size()
    assert len(per_user) == n_users and per_user.min() >= synthetic.MIN_USER_RATINGS
    per_movie = frame.groupby("movie_id", observed=False).size()
    assert len(per_movie) == n_movies and per_movie.min() >= 1  # every movie rated
    assert set(frame["user_id"].astype(str)) == {str(i) for i in range(1, n_users + 1)}


def test_long_tail_matches_ml100k(at_ml100k_size):
    # Seeds 0-4 at this size spread by up to ±0.03 around ML-100k (fit_synthetic_shape.py).
    shape = synthetic.activity_shape(at_ml100k_size)
    for key, real in synthetic.ML100K_SHAPE.items():
        assert shape[key] == pytest.approx(real, abs=0.04), key


def test_shape_constants_are_measured_on_ml100k(movielens):
    measured = synthetic.activity_shape(movielens)
    for key, constant in synthetic.ML100K_SHAPE.items():
        assert measured[key] == pytest.approx(constant, abs=1e-4), key
    stars = movielens["user_rating"].value_counts(normalize=True).sort_index().to_numpy()
    np.testing.assert_allclose(stars, synthetic.STAR_SHARES, atol=1e-5)
    occupations = movielens.drop_duplicates("user_id").groupby(
        ["user_occupation_text", "user_occupation_label"]).size().to_dict()
    assert occupations == {(text, label): users
                           for text, (users, label) in synthetic.OCCUPATIONS.items()}


def test_stars_follow_ml100k_shares(at_ml100k_size):
    shares = at_ml100k_size["user_rating"].value_counts(normalize=True).sort_index()
    assert list(shares.index) == [1.0, 2.0, 3.0, 4.0, 5.0]
    np.testing.assert_allclose(shares.to_numpy(), synthetic.STAR_SHARES, atol=0.005)


def test_users_and_movies_are_plausible_and_named_synthetic(at_ml100k_size):
    frame = at_ml100k_size
    user_columns = ["bucketized_user_age", "raw_user_age", "user_gender",
                    "user_occupation_label", "user_occupation_text", "user_zip_code"]
    assert (frame.groupby("user_id")[user_columns].nunique() == 1).all().all()  # one per user
    buckets = np.asarray(synthetic.AGE_BUCKETS)
    expected = buckets[np.searchsorted(buckets, frame["raw_user_age"], side="right") - 1]
    np.testing.assert_array_equal(frame["bucketized_user_age"], expected)
    labels = {text: label for text, (_, label) in synthetic.OCCUPATIONS.items()}
    assert (frame["user_occupation_text"].map(labels) == frame["user_occupation_label"]).all()
    assert frame["user_zip_code"].str.fullmatch(r"\d{5}").all()
    assert frame["movie_title"].str.fullmatch(r"Synthetic movie (\d+) \(\d{4}\)").all()
    assert (frame["movie_title"].str.extract(r"movie (\d+) ")[0] == frame["movie_id"]).all()
    genres = frame.drop_duplicates("movie_id")["movie_genres"]
    assert all(1 <= len(g) <= 6 and (np.diff(g) > 0).all() for g in genres)
    assert set(np.concatenate(genres.to_list())) <= set(np.flatnonzero(synthetic.GENRE_SHARES))
    first, last = synthetic.TIME_RANGE
    assert frame["timestamp"].between(first, last).all()
    users = frame.drop_duplicates("user_id")
    assert (users["user_gender"] == "M").mean() == pytest.approx(synthetic.MALE_SHARE, abs=0.05)


@pytest.mark.parametrize("sizes, message", [
    ((10, 15, 300), "n_movies must be at least 20"),
    ((10, 30, 150), r"between 200 \(≥ 20 per user"),   # too few for 20 per user
    ((10, 30, 301), r"and 300 \(each user"),           # more than the whole matrix
    ((10, 500, 400), r"between 500 "),                 # too few for every movie once
])
def test_impossible_sizes_are_refused(sizes, message):
    with pytest.raises(ValueError, match=message):
        synthetic_ratings(*sizes)
