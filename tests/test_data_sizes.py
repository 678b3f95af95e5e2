"""MovieLens 1M, 20M and 25M: the GroupLens layouts, their schema against tfds', value and count
checks, compact frames, and the cache — on tiny folders written here (MovieLens may not be copied).

tfds' own MovieLens parser (``tensorflow_datasets.structured.movielens_parsing``) and feature
encoding stand in for a prepared tfds folder: fed the same tiny folder, they show that the
GroupLens reader and the tfds path give the same frame, which no download can be checked with here.
"""
import functools

import numpy as np
import pandas as pd
import pytest

from movierec_utils import data
from tests.conftest import requires_tfds

CORE = ["user_id", "movie_id", "movie_title", "user_rating", "timestamp", "movie_genres"]
# (id, title, genres as GroupLens writes them); movie 99 is in the movies file but never rated.
MOVIES_1M = [
    ("1", "Toy Story (1995)", "Animation|Children's|Comedy"),
    ("2", "Jumanji (1995)", "Adventure|Children's|Fantasy"),
    ("10", "GoldenEye (1995)", "Action|Adventure|Thriller"),
    ("32", "Twelve Monkeys (1995)", "Drama|Sci-Fi"),
    ("40", "Cry, the Beloved Country (1995)", "Drama"),
    ("50", "Usual Suspects, The (1995)", "Crime|Thriller"),
    ("73", "Misérables, Les (1995)", "Drama|Musical"),
    ("99", "Heidi Fleiss: Hollywood Madam (1995)", "Documentary"),
]
MOVIES_CSV = [
    ("1", "Toy Story (1995)", "Adventure|Animation|Children|Comedy|Fantasy"),
    ("2", "Jumanji (1995)", "Adventure|Children|Fantasy"),
    ("10", "GoldenEye (1995)", "Action|Adventure|Thriller"),
    ("32", "Twelve Monkeys (a.k.a. 12 Monkeys) (1995)", "Mystery|Sci-Fi|Thriller"),
    ("40", "Cry, the Beloved Country (1995)", "Drama"),
    ("72998", "Avatar (2009)", "Action|Adventure|Sci-Fi|IMAX"),
    ("73", 'Misérables, Les "The Musical" (1995)', "Drama|War"),
    ("99", "Heidi Fleiss: Hollywood Madam (1995)", "(no genres listed)"),
]
# users.dat: id, gender, age bucket, occupation code (4 college/grad and 10 K-12 student), zip
USERS_1M = [("1", "F", 1, 10, "48067"), ("2", "M", 56, 16, "70072"), ("3", "M", 25, 15, "55117"),
            ("4", "M", 45, 7, "02460"), ("5", "F", 25, 4, "55455"), ("6", "F", 50, 0, "55117-1")]
LAYOUTS = {"1m": "ml-1m", "20m": "ml-20m", "25m": "ml-25m", "latest-small": "ml-latest-small"}


def tiny_ratings(movies, n_users: int, stars, variant: str, seed: int = 0) -> list[tuple]:
    """(user, movie, stars, timestamp): each user rates 4-6 of the first seven movies, at times
    within ``variant``'s published period."""
    rng = np.random.default_rng(seed)
    low, high, _ = data._period(variant)
    rows = []
    for user in range(1, n_users + 1):
        for index in rng.choice(7, size=rng.integers(4, 7), replace=False):
            rows.append((str(user), movies[index][0], rng.choice(stars),
                         int(rng.integers(low + 2 * 86_400, high - 3 * 86_400))))
    return rows


def write_folder(root, variant: str) -> tuple:
    """A tiny extracted GroupLens folder in ``variant``'s layout; returns it and its ratings."""
    folder = root / LAYOUTS[variant]
    folder.mkdir(parents=True)
    if variant == "1m":
        ratings = tiny_ratings(MOVIES_1M, len(USERS_1M), data.WHOLE_STARS, variant)
        lines = {"ratings.dat": [f"{u}::{m}::{s:g}::{t}" for u, m, s, t in ratings],
                 "movies.dat": ["::".join(movie) for movie in MOVIES_1M],
                 "users.dat": ["::".join(map(str, user)) for user in USERS_1M]}
        for name, rows in lines.items():
            (folder / name).write_bytes(("\n".join(rows) + "\n").encode("latin-1"))
    else:
        ratings = tiny_ratings(MOVIES_CSV, 5, data.HALF_STARS, variant)
        pd.DataFrame(ratings, columns=["userId", "movieId", "rating", "timestamp"]).to_csv(
            folder / "ratings.csv", index=False)
        pd.DataFrame(MOVIES_CSV, columns=["movieId", "title", "genres"]).to_csv(
            folder / "movies.csv", index=False, encoding="utf-8")
    return folder, ratings


def tiny_counts(ratings, movies) -> dict:
    return {"ratings": len(ratings), "users": len({row[0] for row in ratings}),
            "rated_movies": len({row[1] for row in ratings}), "movies": len(movies)}


@pytest.fixture
def folders(tmp_path, monkeypatch):
    """``make(variant)`` writes a tiny folder and injects its sizes as the expected counts (and
    its users' 4 to 6 ratings as the minimum a user has)."""
    monkeypatch.setattr(data, "MIN_RATINGS_PER_USER", 4)
    monkeypatch.setenv("MOVIEREC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "no-tfds"))
    monkeypatch.delenv("MOVIELENS_DIR", raising=False)

    def make(variant):
        folder, ratings = write_folder(tmp_path, variant)
        if variant in data.EXPECTED_COUNTS:
            monkeypatch.setitem(data.EXPECTED_COUNTS, variant, tiny_counts(
                ratings, MOVIES_1M if variant == "1m" else MOVIES_CSV))
        return folder, ratings
    return make


def load(folder, variant, **options):
    return data.load_ratings(variant, source="grouplens", path=str(folder), **options)


def fake_tfds(monkeypatch, tmp_path, folder):
    """``tfds.load`` serving ``folder`` as tfds would after preparing it: tfds' own parser and
    feature encoding, in a tf.data pipeline of the builder's element spec."""
    from tensorflow_datasets.structured import movielens_parsing as parsing

    from movierec_utils.tfenv import tf

    tfds = data._import_tfds()
    parsers = {"1m-ratings": parsing.parse_1m_ratings_data,
               "1m-movies": parsing.parse_1m_movies_data}
    for variant in ("20m", "25m", "latest-small"):
        parsers[f"{variant}-ratings"] = parsing.parse_current_ratings_data
        parsers[f"{variant}-movies"] = parsing.parse_current_movies_data

    features_of = functools.cache(
        lambda name: tfds.builder(name, data_dir=str(tmp_path / "builders")).info.features)

    def load(name, split, data_dir):
        features = features_of(name)
        examples = [features.encode_example(example)
                    for _, example in parsers[name.split("/")[1]](str(folder))]
        return tf.data.Dataset.from_generator(lambda: iter(examples),
                                              output_signature=features.get_tensor_spec())

    monkeypatch.setattr(tfds, "load", load)
    monkeypatch.setattr(data, "_tfds_prepared", lambda variant: True)


# --------------------------------------------------------------------------- schema
def dtypes(frame) -> dict:
    """Column → dtype name ("category" whatever the categories)."""
    return {name: str(dtype) for name, dtype in frame.dtypes.items()}


def tfds_1m_dtypes(movielens_100k) -> dict:
    """tfds' 1m schema, from its 100k frame: the same features less the exact age (the
    builder's 1m features are 100k's without ``raw_user_age``)."""
    return {name: dtype for name, dtype in dtypes(movielens_100k).items()
            if name != "raw_user_age"}


@pytest.fixture(scope="module")
def movielens_compact():
    """MovieLens 100k from tfds as a compact frame (module scope: before ``folders`` hides
    the prepared tfds folder)."""
    if not data._tfds_prepared("100k"):
        pytest.skip("MovieLens 100k is not prepared for tfds: set TFDS_DATA_DIR")
    return data.load_ratings("100k", compact=True)


@requires_tfds
def test_an_ml_1m_folder_gives_the_tfds_1m_schema(movielens, movielens_compact, folders):
    folder, _ = folders("1m")
    plain = load(folder, "1m", compact=False)
    assert dtypes(plain) == tfds_1m_dtypes(movielens)
    assert dtypes(load(folder, "1m")) == tfds_1m_dtypes(movielens_compact)


def test_an_ml_1m_folder_is_coded_as_tfds_codes_it(folders, monkeypatch, tmp_path):
    folder, ratings = folders("1m")
    frame = load(folder, "1m", compact=False)
    assert len(frame) == len(ratings)
    users = frame.drop_duplicates("user_id").set_index("user_id").sort_index()
    assert users["user_gender"].tolist() == ["F", "M", "M", "M", "F", "F"]
    assert users["bucketized_user_age"].tolist() == [1, 56, 25, 45, 25, 50]
    assert users["user_occupation_text"].tolist() == [
        "K-12 student", "self-employed", "scientist", "executive/managerial",
        "college/grad student", "other/not specified"]
    assert users["user_occupation_label"].tolist() == [
        data.OCCUPATIONS.index(name) for name in ("student", "self-employed", "scientist",
                                                  "executive/managerial", "student",
                                                  "other/not specified")]
    toy_story = frame.loc[frame["movie_id"] == "1", "movie_genres"].iloc[0]
    assert [data.GENRES[label] for label in toy_story] == ["Animation", "Children", "Comedy"]
    assert "Misérables, Les (1995)" in set(frame["movie_title"])  # latin-1 decoded
    movies = data.load_movies("1m", source="grouplens", path=str(folder))
    assert movies["movie_id"].tolist() == [movie[0] for movie in MOVIES_1M]  # 99: never rated

    fake_tfds(monkeypatch, tmp_path, folder)
    for compact in (False, True):
        from_tfds = data.load_ratings("1m", source="tfds", cache=False, compact=compact)
        pd.testing.assert_frame_equal(canonical(from_tfds), canonical(load(folder, "1m",
                                                                           compact=compact)))
    pd.testing.assert_frame_equal(canonical(data.load_movies("1m", source="tfds", cache=False)),
                                  canonical(movies))


def canonical(frame):
    """Genre arrays as tuples (frames compare them by identity otherwise)."""
    return frame.assign(movie_genres=[tuple(labels) for labels in frame["movie_genres"]])


@pytest.mark.parametrize("variant", ["20m", "25m", "latest-small"])
def test_csv_folders_load_with_tfds_coding_and_without_user_features(
        folders, monkeypatch, tmp_path, variant):
    folder, ratings = folders(variant)
    frame = load(folder, variant)
    assert list(frame.columns) == CORE  # no demographics were published with these sets
    assert not set(data.USER_FEATURE_COLUMNS) & set(frame.columns)
    compact = variant in data.COMPACT_BY_DEFAULT
    assert isinstance(frame["user_id"].dtype, pd.CategoricalDtype) == compact
    assert frame["user_rating"].tolist() == [row[2] for row in ratings]  # half stars kept
    assert frame["user_id"].astype(str).tolist() == [row[0] for row in ratings]
    titles = dict(zip(frame["movie_id"].astype(str), frame["movie_title"].astype(str)))
    assert titles["73"] == 'Misérables, Les "The Musical" (1995)'  # quoted, UTF-8
    genres = dict(zip(frame["movie_id"].astype(str), frame["movie_genres"]))
    assert [data.GENRES[label] for label in genres["72998"]] == [
        "Action", "Adventure", "Sci-Fi", "IMAX"]  # in file order, as tfds keeps them
    movies = data.load_movies(variant, source="grouplens", path=str(folder))
    unrated = movies.set_index("movie_id").loc["99", "movie_genres"]
    assert [data.GENRES[label] for label in unrated] == ["(no genres listed)"]

    fake_tfds(monkeypatch, tmp_path, folder)
    from_tfds = data.load_ratings(variant, source="tfds", cache=False)
    pd.testing.assert_frame_equal(canonical(from_tfds), canonical(frame))


# --------------------------------------------------------------------------- values and counts
def edit_ratings(folder, variant, line_numbers, edit):
    """Apply ``edit(fields) -> fields`` to the given 1-based lines of the ratings file."""
    name, separator = ("ratings.dat", "::") if variant == "1m" else ("ratings.csv", ",")
    path = folder / name
    lines = path.read_text().splitlines()
    for number in line_numbers:
        lines[number - 1] = separator.join(edit(lines[number - 1].split(separator)))
    path.write_text("\n".join(lines) + "\n")
    return name


BAD_VALUES = {
    "off the scale": (lambda f: [f[0], f[1], "6", f[3]], r"a rating other than"),
    "not a number": (lambda f: [f[0], f[1], "five", f[3]], r"no rating"),
    "empty rating": (lambda f: [f[0], f[1], "", f[3]], r"no rating"),
    "empty user": (lambda f: ["", f[1], f[2], f[3]], r"a missing user or movie id"),
    "unknown movie": (lambda f: [f[0], "12345", f[2], f[3]],
                      r"ratings of movies missing from the movies file"),
}


@pytest.mark.parametrize("variant", ["1m", "25m"])
@pytest.mark.parametrize("edit, message", BAD_VALUES.values(), ids=BAD_VALUES)
def test_bad_values_are_refused_with_their_line_numbers(folders, variant, edit, message):
    folder, _ = folders(variant)
    name = edit_ratings(folder, variant, [4, 9], edit)  # ratings.csv's line 1 is its header
    with pytest.raises(data.MovieLensDataError,
                       match=rf"{name} has {message}.* on 2 line\(s\): 4, 9\."):
        load(folder, variant, cache=False)


@pytest.mark.parametrize("variant", ["1m", "25m"])
def test_repeated_pairs_and_unknown_users_are_refused(folders, variant):
    folder, _ = folders(variant)
    first = {}
    edit_ratings(folder, variant, [2 if variant == "25m" else 1],
                 lambda fields: first.setdefault("fields", fields))
    name = edit_ratings(folder, variant, [6], lambda fields: first["fields"])
    with pytest.raises(data.MovieLensDataError, match=rf"{name} has a repeated .* line\(s\): 6\."):
        load(folder, variant, cache=False)
    if variant == "1m":
        edit_ratings(folder, variant, [6], lambda fields: ["77", *fields[1:]])
        with pytest.raises(data.MovieLensDataError, match=r"users missing from the users file "
                                                          r"on 1 line\(s\): 6\."):
            load(folder, variant, cache=False)


def test_malformed_user_and_movie_files_are_named(folders):
    folder, _ = folders("1m")
    users = (folder / "users.dat").read_text().splitlines()
    users[2] = users[2].replace("::M::25::", "::X::25::")
    (folder / "users.dat").write_text("\n".join(users) + "\n")
    with pytest.raises(data.MovieLensDataError,
                       match=r"users\.dat has lines that do not hold id::M or F.* line\(s\): 3\."):
        load(folder, "1m", cache=False)
    folder, _ = folders("25m")
    movies = (folder / "movies.csv").read_text(encoding="utf-8").replace("Drama|War", "Drama|Wart")
    (folder / "movies.csv").write_text(movies, encoding="utf-8")
    with pytest.raises(data.MovieLensDataError, match=r"genres tfds does not know, e.g. 'Wart' "
                                                      r"on line 8"):
        load(folder, "25m", cache=False)


def test_published_counts_are_checked(folders, monkeypatch):
    assert data.EXPECTED_COUNTS["1m"] == {"ratings": 1_000_209, "users": 6_040,
                                          "rated_movies": 3_706, "movies": 3_883}
    assert data.EXPECTED_COUNTS["20m"]["ratings"] == 20_000_263
    assert data.EXPECTED_COUNTS["25m"] == {"ratings": 25_000_095, "users": 162_541,
                                           "rated_movies": 59_047, "movies": 62_423}
    folder, ratings = folders("25m")
    load(folder, "25m", cache=False)  # the tiny folder's own counts pass
    monkeypatch.setitem(data.EXPECTED_COUNTS, "25m", {"ratings": 25_000_095, "movies": 8})
    with pytest.raises(data.MovieLensDataError,
                       match=rf"should have .*'ratings': 25000095.* has .*'ratings': "
                             rf"{len(ratings)}, 'movies': 8\}}"):
        load(folder, "25m", cache=False)


def test_the_wrong_layout_names_the_missing_files(folders):
    folder, _ = folders("25m")
    with pytest.raises(data.MovieLensDataError, match="not a GroupLens ml-1m folder: missing "
                                                      "ratings.dat, movies.dat, users.dat"):
        load(folder, "1m")


def test_offline_large_variants_name_their_grouplens_layout(monkeypatch, tmp_path):
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("MOVIELENS_DIR", raising=False)
    monkeypatch.setattr(data, "_grouplens_reachable", lambda timeout=3.0: False)
    with pytest.raises(data.MovieLensDataError, match=r"ml-25m folder \(ratings\.csv, "
                                                      r"movies\.csv\)"):
        data.load_ratings("25m", cache=False)


def test_auto_source_reads_movielens_dir_when_it_holds_the_variant(folders, monkeypatch):
    folder, ratings = folders("1m")
    monkeypatch.setenv("MOVIELENS_DIR", str(folder))
    assert len(data.load_ratings("1m")) == len(ratings)


# --------------------------------------------------------------------------- compact and cache
def test_compact_frames_keep_titles_and_genres_once_per_movie(folders):
    folder, ratings = folders("1m")
    compact, plain = load(folder, "1m"), load(folder, "1m", compact=False)
    n_movies = compact["movie_id"].nunique()
    for column in ("user_id", "movie_id", "user_gender", "user_zip_code"):
        assert isinstance(compact[column].dtype, pd.CategoricalDtype), column
        assert list(compact[column].cat.categories) == sorted(compact[column].cat.categories)
    for column in ("movie_title", "movie_genres"):  # one object per movie, shared by its ratings
        assert compact[column].dtype == object
        assert len({id(value) for value in compact[column]}) == n_movies, column
    assert compact["bucketized_user_age"].dtype == "int8"
    same_dtypes = compact.astype({name: dtype for name, dtype in plain.dtypes.items()
                                  if name != "movie_genres"})
    pd.testing.assert_frame_equal(canonical(same_dtypes), canonical(plain))


def test_large_variants_are_cached_compact_and_plain_apart(folders, tmp_path):
    folder, _ = folders("25m")
    compact, plain = load(folder, "25m"), load(folder, "25m", compact=False)
    assert len(list((tmp_path / "cache").glob("*.pkl"))) == 2
    pd.testing.assert_frame_equal(canonical(load(folder, "25m")), canonical(compact))
    pd.testing.assert_frame_equal(canonical(load(folder, "25m", compact=False)), canonical(plain))
    (folder / "ratings.csv").write_text((folder / "ratings.csv").read_text().replace(",4.5,",
                                                                                     ",4.0,"))
    assert (load(folder, "25m")["user_rating"] == 4.5).sum() == 0  # edited: reloaded


@requires_tfds
def test_compact_movielens_100k_gives_the_same_results(movielens, movielens_compact):
    from movierec_utils.models import EASE, Popularity
    from movierec_utils.splits import stratified_split

    for frame in (movielens, movielens_compact):
        train, test = stratified_split(frame, ratio=0.75, seed=42)
        results = [Popularity().fit(train).evaluate(test), EASE(l2=800).fit(train).evaluate(test)]
        if frame is movielens:
            expected = results
    assert results == expected
    # Measured: 137 bytes a rating plain (a string per rating for ids, titles and text
    # features), 44 compact (codes; one title string and one genre array per movie).
    assert data.memory_bytes(movielens_compact) / len(movielens) < 50
    assert data.memory_bytes(movielens) > 2.5 * data.memory_bytes(movielens_compact)
    # the reported baselines, within test_baselines' tolerance (ties among equally popular
    # movies are the evaluator's to break)
    assert results[0]["ndcg@10"] == pytest.approx(0.2523, abs=5e-4)
    assert results[1]["ndcg@10"] == pytest.approx(0.4754, abs=5e-5)


def test_every_model_input_works_the_same_on_compact_frames():
    """The deep model reads the most columns (titles, genres, demographics): same numbers."""
    from movierec_utils.models import DeepRecommender
    from movierec_utils.splits import holdout_users, stratified_split
    from tests.conftest import make_ratings

    plain = make_ratings(n_users=20, n_movies=30, per_user=10)
    compact = data._with_dtypes(plain.copy(), compact=True)
    assert isinstance(compact["user_gender"].dtype, pd.CategoricalDtype)
    results = []
    for frame in (plain, compact):
        warm, cold = holdout_users(frame, fraction=0.2, seed=0)
        train, test = stratified_split(warm, ratio=0.75, seed=0)
        model = DeepRecommender(epochs=1, seed=0).fit(train)
        results.append((model.evaluate(test), model.rmse(test), model.evaluate_new_users(cold)))
    assert results[0] == results[1]


def test_memory_bytes_counts_a_shared_object_and_a_viewed_buffer_once():
    import pickle
    import sys

    genres = [np.arange(100, dtype="int64") for _ in range(3)]  # 800 bytes of data each
    frame = pd.DataFrame({"movie_genres": pd.Series([genres[i % 3] for i in range(300)],
                                                    dtype=object)})
    shared = data.memory_bytes(frame)
    assert shared == (int(frame.memory_usage(index=True).sum())
                      + sum(sys.getsizeof(array) for array in genres))
    base = np.arange(300, dtype="int64")
    views = pd.DataFrame({"movie_genres": pd.Series([base[i:i + 100] for i in (0, 100, 200)] * 100,
                                                    dtype=object)})
    assert data.memory_bytes(views) >= int(views.memory_usage(index=True).sum()) + base.nbytes
    unpickled = pickle.loads(pickle.dumps(frame, protocol=5))  # its arrays are views
    assert data.memory_bytes(unpickled) >= shared  # their data counted, not only headers
