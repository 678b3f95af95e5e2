"""Loading MovieLens: schema, sanity counts, the GroupLens loader, the cache, and clear errors."""
import builtins
import io
import shutil
import sys
import types
import warnings

import numpy as np
import pandas as pd
import pytest

from movierec_utils import data
from tests.conftest import (grouplens_dir, make_ratings, requires_grouplens, requires_tfds,
                            write_grouplens)

CORE = ["user_id", "movie_id", "user_rating", "timestamp"]


def ratings_like_100k(n_users: int = 12, n_movies: int = 30, per_user: int = 20, seed: int = 0):
    """make_ratings' synthetic ratings as MovieLens 100k holds them: at least 20 a user, made
    between its first and last rating's times (1997-09-20 to 1998-04-22)."""
    ratings = make_ratings(n_users=n_users, n_movies=n_movies, per_user=per_user, seed=seed)
    spread = (ratings["timestamp"] - 8e8) / 1e8  # make_ratings' times: 8e8 to 9e8
    ratings["timestamp"] = (874_724_710 + spread * (893_286_638 - 874_724_710)).astype("int64")
    return ratings


def tiny_grouplens_100k(tmp_path, monkeypatch):
    """A tiny ml-100k folder written from :func:`ratings_like_100k`, its sizes patched in as the
    published ones and an empty cache folder; returns ``(folder, ratings)``."""
    ratings = ratings_like_100k()
    folder = write_grouplens(tmp_path / "ml-100k", ratings)
    monkeypatch.setitem(data.EXPECTED_COUNTS, "100k", {
        "ratings": len(ratings), "users": ratings["user_id"].nunique(),
        "movies": ratings["movie_id"].nunique()})
    monkeypatch.setenv("MOVIEREC_CACHE_DIR", str(tmp_path / "cache"))
    return folder, ratings


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


# --------------------------------------------------------------------------- cache and values
@pytest.fixture
def small_grouplens(tmp_path, monkeypatch):
    """A tiny GroupLens folder that load_ratings("100k") accepts (its counts patched in), with an
    empty cache folder; returns a loader for it."""
    folder, _ = tiny_grouplens_100k(tmp_path, monkeypatch)
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "no-tfds"))
    return lambda cache=True: data.load_ratings("100k", source="grouplens", path=str(folder),
                                                cache=cache)


def flip_middle_byte(path, frame):
    content = bytearray(path.read_bytes())
    content[len(content) // 2] ^= 0xFF
    path.write_bytes(bytes(content))


CACHE_DAMAGE = {
    "empty": lambda path, frame: path.write_bytes(b""),
    "truncated": lambda path, frame: path.write_bytes(path.read_bytes()[:200]),
    "garbage": lambda path, frame: path.write_bytes(b"\x80\x04 not a pickle"),
    "ten rows": lambda path, frame: frame.head(10).to_pickle(path),
    "a string": lambda path, frame: pd.to_pickle("ratings", path),
    "1% of ratings altered": lambda path, frame: frame.assign(user_rating=np.where(
        np.arange(len(frame)) % 100 == 0, frame["user_rating"] % 5 + 1, frame["user_rating"])
    ).to_pickle(path),
    "one byte flipped": flip_middle_byte,
}


@pytest.mark.parametrize("damage", CACHE_DAMAGE.values(), ids=CACHE_DAMAGE)
def test_a_bad_cache_entry_is_rebuilt_with_a_notice_naming_it(small_grouplens, tmp_path, damage):
    expected = small_grouplens(cache=False)
    small_grouplens()  # writes the cache
    entries = sorted((tmp_path / "cache").glob("*.pkl"))
    for entry in entries:
        damage(entry, expected)
    with pytest.warns(UserWarning, match="cache file .*" + entries[0].name) as notices:
        ratings = small_grouplens()
    assert len(notices) == 1 and "\n" not in str(notices[0].message)
    pd.testing.assert_frame_equal(ratings, expected)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # rebuilt: the next call is a silent, correct hit
        pd.testing.assert_frame_equal(small_grouplens(), expected)


def test_edited_source_files_are_not_served_from_the_cache(small_grouplens, tmp_path):
    small_grouplens()  # writes the cache
    u_data = tmp_path / "ml-100k" / "u.data"
    lines = u_data.read_text().splitlines()
    user, movie, stars, timestamp = lines[0].split("\t")
    new_stars = int(stars) % 5 + 1  # same file size: only the content tells
    lines[0] = "\t".join([user, movie, str(new_stars), timestamp])
    u_data.write_text("\n".join(lines) + "\n")
    assert small_grouplens()["user_rating"].iloc[0] == new_stars
    pd.testing.assert_frame_equal(small_grouplens(), small_grouplens(cache=False))


def test_a_loader_starting_while_another_writes_the_cache_gets_the_data(
        small_grouplens, monkeypatch, recwarn):
    """Two processes, simulated: a second loader runs the moment the first opens a file for
    writing. Written in place, the cache file would be empty then (EOFError, or a rebuild)."""
    expected = small_grouplens(cache=False)
    real_open, racer = io.open, {}

    def open_and_race(file, mode="r", *args, **kwargs):
        handle = real_open(file, mode, *args, **kwargs)
        if "w" in mode and not racer:
            racer["started"] = True  # the racer's own cache write must not race again
            racer["result"] = small_grouplens()
        return handle

    monkeypatch.setattr(io, "open", open_and_race)
    monkeypatch.setattr(builtins, "open", open_and_race)
    pd.testing.assert_frame_equal(small_grouplens(), expected)
    assert "result" in racer, "the cache was not written"
    pd.testing.assert_frame_equal(racer["result"], expected)
    assert not [w for w in recwarn if "cache" in str(w.message)]


@pytest.mark.parametrize("stars", ["7", "-3", "0", "4.5", "nan", "", "five"])
def test_impossible_ratings_are_refused_with_their_u_data_lines(tmp_path, stars):
    folder = write_grouplens(tmp_path, ratings_like_100k(n_users=5))
    lines = (folder / "u.data").read_text().splitlines()
    for number in (4, 17):  # 1-based line numbers
        user, movie, _, timestamp = lines[number - 1].split("\t")
        lines[number - 1] = "\t".join([user, movie, stars, timestamp])
    (folder / "u.data").write_text("\n".join(lines) + "\n")
    with pytest.raises(data.MovieLensDataError, match=r"u\.data has .* on 2 line\(s\): 4, 17\."):
        data.load_grouplens(folder)


def test_duplicated_ratings_are_refused_with_their_u_data_lines(tmp_path):
    folder = write_grouplens(tmp_path, ratings_like_100k(n_users=5))
    lines = (folder / "u.data").read_text().splitlines()
    lines[10:20] = lines[:10]  # 10 lines replaced by copies of earlier ones: same line count
    (folder / "u.data").write_text("\n".join(lines) + "\n")
    with pytest.raises(data.MovieLensDataError,
                       match=r"repeated \(user, movie\) pair on 10 line\(s\): 11, 12"):
        data.load_grouplens(folder)


def test_half_stars_are_valid_only_for_the_later_movielens_sets():
    ratings = pd.DataFrame({"user_rating": [0.5, 4.5, 5.0, 5.5, 0.0, np.nan]})
    half = data.invalid_rating_rows(ratings, data.HALF_STARS)
    assert [mask.tolist() for mask in half.values()] == [
        [False, False, False, False, False, True], [False, False, False, True, True, False]]
    whole = data.invalid_rating_rows(ratings, data.WHOLE_STARS)
    assert list(whole.values())[1].tolist() == [True, True, False, True, True, False]
