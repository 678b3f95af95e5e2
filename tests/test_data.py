"""Loading MovieLens: schema, sanity counts, the GroupLens loader, and clear errors."""
import shutil
import sys
import types

import pandas as pd
import pytest

from movierec_utils import data
from tests.conftest import grouplens_dir, requires_grouplens, requires_tfds

CORE = ["user_id", "movie_id", "user_rating", "timestamp"]


@requires_tfds
def test_tfds_ratings_have_the_documented_schema_and_counts(movielens):
    for column in data._RATING_COLUMNS:
        assert column in movielens, column
    assert len(movielens) == 100_000
    assert movielens["user_id"].nunique() == 943
    assert movielens["movie_id"].nunique() == 1_682
    assert isinstance(movielens["user_id"].iloc[0], str)
    assert isinstance(movielens["movie_title"].iloc[0], str)
    assert set(movielens["user_rating"].unique()) == {1.0, 2.0, 3.0, 4.0, 5.0}
    assert set(movielens["user_gender"].unique()) == {"M", "F"}
    assert set(movielens["bucketized_user_age"].unique()) == {1, 18, 25, 35, 45, 50, 56}


@requires_tfds
def test_movies_table_has_one_row_per_movie():
    movies = data.load_movies("100k")
    assert len(movies) == 1_682 and movies["movie_id"].is_unique
    assert movies.loc[movies["movie_id"] == "1", "movie_title"].item() == "Toy Story (1995)"
    assert list(movies.loc[movies["movie_id"] == "1", "movie_genres"].item()) == [
        data.GENRES.index(name) for name in ("Animation", "Children", "Comedy")]


@requires_tfds
@requires_grouplens
def test_grouplens_folder_gives_the_same_ratings_as_tfds(movielens):
    ratings, movies = data.load_grouplens(grouplens_dir())
    assert list(ratings.columns) == list(movielens.columns)

    def canonical(frame):
        frame = frame.assign(movie_genres=frame["movie_genres"].map(tuple))
        return frame.sort_values(CORE).reset_index(drop=True)

    pd.testing.assert_frame_equal(canonical(ratings), canonical(movielens), check_dtype=False)
    pd.testing.assert_frame_equal(
        movies.assign(movie_genres=movies["movie_genres"].map(tuple)),
        data.load_movies("100k").assign(movie_genres=lambda m: m["movie_genres"].map(tuple)),
        check_dtype=False)


@requires_grouplens
def test_auto_source_falls_back_to_movielens_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("MOVIELENS_DIR", str(grouplens_dir()))
    monkeypatch.setenv("MOVIEREC_CACHE_DIR", str(tmp_path / "cache"))
    ratings = data.load_ratings("100k")
    assert len(ratings) == 100_000
    assert list((tmp_path / "cache").glob("*.pkl")), "the loaded frames should be cached"


def test_offline_without_data_says_what_to_set(monkeypatch, tmp_path):
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("MOVIELENS_DIR", raising=False)
    monkeypatch.setattr(data, "_grouplens_reachable", lambda timeout=3.0: False)
    with pytest.raises(data.MovieLensDataError) as error:
        data.load_ratings("100k", cache=False)
    assert "TFDS_DATA_DIR" in str(error.value) and "MOVIELENS_DIR" in str(error.value)


def test_missing_grouplens_files_are_named(tmp_path):
    (tmp_path / "u.data").write_text("1\t1\t5\t881250949\n")
    with pytest.raises(data.MovieLensDataError, match="missing u.item, u.user"):
        data.load_grouplens(tmp_path)


@requires_grouplens
def test_truncated_grouplens_folder_fails_the_sanity_check(tmp_path, monkeypatch):
    for name in ("u.item", "u.user"):
        shutil.copy(grouplens_dir() / name, tmp_path / name)
    lines = (grouplens_dir() / "u.data").read_text().splitlines()[:5000]
    (tmp_path / "u.data").write_text("\n".join(lines) + "\n")
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "no-tfds"))
    with pytest.raises(data.MovieLensDataError, match="'ratings': 5000"):
        data.load_ratings("100k", source="grouplens", path=str(tmp_path), cache=False)


def test_corrupt_tfds_folder_gives_a_clear_error(tmp_path, monkeypatch):
    folder = tmp_path / "movielens"
    for kind in ("ratings", "movies"):
        version = folder / f"100k-{kind}" / "0.1.1"
        version.mkdir(parents=True)
        (version / "dataset_info.json").write_text("{ not json")
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path))
    with pytest.raises(data.MovieLensDataError, match="corrupt"):
        data.load_ratings("100k", source="tfds", cache=False)


@requires_tfds
def test_broken_tfds_installation_is_not_reported_as_missing_data(monkeypatch):
    """A protobuf/tensorflow-metadata conflict leaves tensorflow_datasets without ``load``."""
    broken = types.ModuleType("tensorflow_datasets")
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", broken)
    monkeypatch.setitem(sys.modules, "tensorflow_datasets.core", None)  # import fails
    with pytest.raises(data.MovieLensDataError, match="does not import .*version conflict"):
        data.load_ratings("100k", source="tfds", cache=False)


def test_unknown_variant_and_source_are_rejected():
    with pytest.raises(ValueError, match="variant must be one of"):
        data.load_ratings("10k")
    with pytest.raises(ValueError, match="source must be"):
        data.load_ratings("100k", source="csv")
