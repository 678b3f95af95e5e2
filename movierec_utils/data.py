"""Loading MovieLens into pandas — the one place the notebooks get their data from.

Every MovieLens variant (``100k``, ``1m``, ``20m``, ``25m``, ``latest-small``) loads from two
sources with one schema:

* ``tfds`` — ``tfds.load("movielens/<variant>-ratings")``; online it downloads from GroupLens,
  offline it reads a prepared folder named by the standard ``TFDS_DATA_DIR`` variable.
* ``grouplens`` — an extracted GroupLens folder, named by the ``path`` argument or
  ``MOVIELENS_DIR``: ``ml-100k`` (``u.data``, ``u.item``, ``u.user``), ``ml-1m`` (``ratings.dat``,
  ``movies.dat``, ``users.dat``: ``::``-separated, latin-1), ``ml-20m``, ``ml-25m`` and
  ``ml-latest-small`` (``ratings.csv``, ``movies.csv``); see :data:`GROUPLENS_FILES`. The way
  out when GroupLens' servers or tfds are unavailable. It reads what tfds' MovieLens builder
  reads and codes it the same way (genre and occupation labels, genders, age buckets).

MovieLens' licence forbids redistribution, so nothing here writes data into the repository: the
loaded frames are cached under ``~/.cache/movierec`` (``MOVIEREC_CACHE_DIR``), keyed on the
content of the source files, so edited data is reloaded. A cache entry is only used when its
checksum, schema and counts are right; anything else is rebuilt with a warning naming the file.

Loading refuses what MovieLens never holds: a missing user or movie id, a missing rating, stars
outside the variant's scale (:data:`WHOLE_STARS` for 100k and 1m, :data:`HALF_STARS` for the
later sets), a (user, movie) pair rated twice, and a rating of a movie or user that the movie or
user file lacks; the error names the offending lines of the ratings file (rows of a tfds split).
The sizes are checked against :data:`EXPECTED_COUNTS`, the figures GroupLens publishes.

Columns of :func:`load_ratings` (tfds feature names, decoded):
``user_id`` (str), ``movie_id`` (str), ``movie_title`` (str), ``user_rating`` (float32),
``timestamp`` (int64, seconds since 1970 UTC), ``movie_genres`` (array of int genre labels, see
:data:`GENRES`), and the user features ``bucketized_user_age`` (int), ``raw_user_age`` (int,
100k only), ``user_gender`` (str ``"M"``/``"F"``), ``user_occupation_label`` (int, see
:data:`OCCUPATIONS`), ``user_occupation_text`` (str), ``user_zip_code`` (str).

**20m, 25m and latest-small have no user features** (:data:`USER_FEATURE_COLUMNS`): GroupLens
published no demographics with them. Models that read only ids, genres and titles run on them;
the deep model's user tower (age, gender, occupation, zip) and its cold start from demographics
need 100k or 1m.

**Compact frames.** ``compact=True`` (the default for 1m, 20m and 25m, see
:data:`COMPACT_BY_DEFAULT`) keeps the same columns and values in less memory: ids and the text
user features as pandas ``category`` (string categories, in sorted order), small integers for
the numeric user features, and ``movie_title`` and ``movie_genres`` as object columns whose
rows point at one string and one genre array per movie, shared by all its ratings (8 bytes a
rating; pandas' ``memory_usage(deep=True)`` counts a shared object once per row, so measure
with :func:`memory_bytes`). MovieLens 100k takes 137 bytes a rating plain and 44 compact; a
frame shaped like 25M (162,541 users, 59,047 movies) 41 bytes a rating, 1.0 GB for its 25
million ratings. Everything in :mod:`movierec_utils` accepts either form and gives the same
results; ``compact=False`` gives tfds' plain dtypes at any size. 100k stays plain by default:
its notebooks show that frame, and at 100,000 ratings memory is no concern.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import os
import pickle
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from movierec_utils.interactions import index_positions

GROUPLENS_HOST = "files.grouplens.org"  # where tfds downloads MovieLens from
VARIANTS = ("100k", "1m", "20m", "25m", "latest-small")

#: The files of each variant's extracted GroupLens folder (``ml-<variant>``), ratings first.
GROUPLENS_FILES = {
    "100k": ("u.data", "u.item", "u.user"),
    "1m": ("ratings.dat", "movies.dat", "users.dat"),
    "20m": ("ratings.csv", "movies.csv"),
    "25m": ("ratings.csv", "movies.csv"),
    "latest-small": ("ratings.csv", "movies.csv"),
}

#: Genre label names of the tfds MovieLens features, indexed by label.
GENRES = (
    "Action", "Adventure", "Animation", "Children", "Comedy", "Crime", "Documentary", "Drama",
    "Fantasy", "Film-Noir", "Horror", "IMAX", "Musical", "Mystery", "Romance", "Sci-Fi",
    "Thriller", "Unknown", "War", "Western", "(no genres listed)",
)
#: Occupation label names of the tfds MovieLens features, indexed by label.
OCCUPATIONS = (
    "academic/educator", "artist", "clerical/admin", "customer service", "doctor/health care",
    "entertainment", "executive/managerial", "farmer", "homemaker", "lawyer", "librarian",
    "other/not specified", "programmer", "retired", "sales/marketing", "scientist",
    "self-employed", "student", "technician/engineer", "tradesman/craftsman", "unemployed",
    "writer",
)

#: Sizes GroupLens publishes (the READMEs of ml-100k, ml-1m, ml-20m and ml-25m): ratings,
#: users, movies rated at least once, and movies in the movies file. A mismatch means a
#: truncated or wrong download. latest-small changes over time and is not checked.
EXPECTED_COUNTS = {
    "100k": {"ratings": 100_000, "users": 943, "rated_movies": 1_682, "movies": 1_682},
    "1m": {"ratings": 1_000_209, "users": 6_040, "rated_movies": 3_706, "movies": 3_883},
    "20m": {"ratings": 20_000_263, "users": 138_493, "rated_movies": 26_744, "movies": 27_278},
    "25m": {"ratings": 25_000_095, "users": 162_541, "rated_movies": 59_047, "movies": 62_423},
}

#: The variants loaded as compact frames unless ``compact=False`` is passed.
COMPACT_BY_DEFAULT = ("1m", "20m", "25m")
#: User features: 100k and 1m have them (``raw_user_age`` 100k only), the later sets none.
USER_FEATURE_COLUMNS = ("bucketized_user_age", "raw_user_age", "user_gender",
                        "user_occupation_label", "user_occupation_text", "user_zip_code")

# The tfds builder maps GroupLens' raw occupation texts onto these shared labels.
_OCCUPATION_LABELS = {
    "educator": 0, "artist": 1, "administrator": 2, "doctor": 4, "healthcare": 4,
    "entertainment": 5, "executive": 6, "homemaker": 8, "lawyer": 9, "librarian": 10,
    "other": 11, "none": 11, "programmer": 12, "retired": 13, "marketing": 14, "salesman": 14,
    "scientist": 15, "student": 17, "technician": 18, "engineer": 18, "writer": 21,
}
# users.dat's occupation codes 0-20 as the texts tfds keeps; both students share one label.
_OCCUPATIONS_1M = (
    "other/not specified", "academic/educator", "artist", "clerical/admin",
    "college/grad student", "customer service", "doctor/health care", "executive/managerial",
    "farmer", "homemaker", "K-12 student", "lawyer", "programmer", "retired", "sales/marketing",
    "scientist", "self-employed", "technician/engineer", "tradesman/craftsman", "unemployed",
    "writer",
)
_STUDENTS_1M = ("K-12 student", "college/grad student")
# u.item's 19 genre flag columns, in file order, as tfds genre labels.
_GROUPLENS_GENRE_LABELS = [GENRES.index(name) for name in (
    "Unknown", "Action", "Adventure", "Animation", "Children", "Comedy", "Crime", "Documentary",
    "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi",
    "Thriller", "War", "Western",
)]
# Genre names of movies.dat / movies.csv as labels; 1m spells "Children" "Children's".
_GENRE_LABELS = {**{name: label for label, name in enumerate(GENRES)},
                 "Children's": GENRES.index("Children")}
_AGE_BUCKETS = (1, 18, 25, 35, 45, 50, 56)  # lower bounds of the MovieLens age buckets

#: The star values a rating can take: whole stars in 100k and 1m, half stars in the later sets.
WHOLE_STARS = (1.0, 2.0, 3.0, 4.0, 5.0)
HALF_STARS = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0)
_WHOLE_STAR_VARIANTS = ("100k", "1m")


class MovieLensDataError(RuntimeError):
    """The MovieLens data could not be found or is not what it should be."""


# --------------------------------------------------------------------------- public API
def load_ratings(variant: str = "100k", source: str = "auto", path: str | None = None,
                 cache: bool = True, compact: bool | None = None) -> pd.DataFrame:
    """One row per rating, with movie and (100k, 1m) user features; see the module docstring.

    ``source`` is ``"tfds"``, ``"grouplens"`` or ``"auto"`` (tfds when its data is prepared
    locally, else a GroupLens folder — ``path``, or ``MOVIELENS_DIR`` when it holds the variant's
    files — else a tfds download). ``compact`` defaults to ``variant in COMPACT_BY_DEFAULT``.
    """
    return _load("ratings", variant, source, path, cache, compact)


def load_movies(variant: str = "100k", source: str = "auto", path: str | None = None,
                cache: bool = True) -> pd.DataFrame:
    """One row per movie of the movies file (rated or not): ``movie_id``, ``movie_title``,
    ``movie_genres``, sorted by id; plain dtypes at every size."""
    return _load("movies", variant, source, path, cache, None)


def load_grouplens(path: str | os.PathLike | None = None, variant: str = "100k",
                   compact: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read an extracted GroupLens folder of ``variant``'s layout (:data:`GROUPLENS_FILES`) into
    checked ``(ratings, movies)`` frames; the sizes are not checked here (see ``load_ratings``)."""
    folder = _grouplens_folder(path, variant)
    ratings_file = folder / GROUPLENS_FILES[variant][0]
    try:
        ratings, first_line = _read_rating_lines(ratings_file)
        movies = _GROUPLENS_MOVIE_READERS[variant](folder)
        users = _read_users_100k(folder / "u.user") if variant == "100k" else \
            _read_users_1m(folder / "users.dat") if variant == "1m" else None
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as error:
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0][:300]
        raise MovieLensDataError(f"{folder} holds unreadable GroupLens files ({reason}). "
                                 f"Re-extract ml-{variant}.zip there.") from error
    where = (str(ratings_file), "line", first_line)
    return _assemble(ratings, movies, users, where, _stars(variant), compact), movies


def tfds_data_dir() -> str:
    """Where tfds reads prepared data: ``TFDS_DATA_DIR`` or its default ``~/tensorflow_datasets``."""
    return os.environ.get("TFDS_DATA_DIR") or str(Path.home() / "tensorflow_datasets")


def invalid_rating_rows(ratings: pd.DataFrame, stars=HALF_STARS) -> dict[str, np.ndarray]:
    """Boolean row masks of the ``user_rating`` values a ratings table must not hold, each keyed
    by what is wrong: missing (NaN, empty or not a number), or not one of ``stars``."""
    rating = pd.to_numeric(ratings["user_rating"], errors="coerce").to_numpy(dtype=float)
    missing = np.isnan(rating)
    return {
        "no rating (empty, NaN or not a number)": missing,
        f"a rating other than {', '.join(f'{star:g}' for star in stars)} stars":
            ~missing & ~np.isin(rating, stars),
    }


def memory_bytes(frame: pd.DataFrame) -> int:
    """Bytes ``frame`` holds, counting each distinct object of an object column once.

    ``frame.memory_usage(deep=True)`` counts an object once per row that points at it, so it
    reports a compact frame's shared titles and genre arrays (one per movie) as if every rating
    had its own copy: about 200 bytes a rating that are not there. An array that is a view (as
    NumPy unpickles arrays from a cache entry) is counted with the buffer it views, once.
    """
    total = int(frame.memory_usage(deep=True, index=True).sum())
    for name in frame.columns:
        if frame[name].dtype == object:
            values = frame[name].to_numpy()
            per_row = int(frame[name].memory_usage(deep=True, index=False)) - 8 * len(values)
            total += _distinct_object_bytes(values) - per_row
    return total


def _distinct_object_bytes(values: np.ndarray) -> int:
    """Bytes of the distinct objects in ``values``, with the buffers their views share, once."""
    distinct = {id(value): value for value in values}
    buffers = {}
    for value in distinct.values():
        base = value
        while isinstance(base, np.ndarray) and base.base is not None:
            base = base.base
        if base is not value and id(base) not in distinct:
            buffers[id(base)] = base
    return (sum(sys.getsizeof(value) for value in distinct.values())
            + sum(_buffer_bytes(base) for base in buffers.values()))


def _buffer_bytes(base) -> int:
    if isinstance(base, np.ndarray):  # owns its data: getsizeof counts it
        return sys.getsizeof(base)
    with memoryview(base) as view:  # another buffer an array views: bytes, mmap, …
        return view.nbytes


# --------------------------------------------------------------------------- internals
_RATING_COLUMNS = [
    "user_id", "movie_id", "movie_title", "user_rating", "timestamp", "movie_genres",
    "bucketized_user_age", "raw_user_age", "user_gender", "user_occupation_label",
    "user_occupation_text", "user_zip_code",
]
# What every variant has, whichever source: the schema a cache entry must show.
_REQUIRED_COLUMNS = {
    "ratings": ("user_id", "movie_id", "movie_title", "user_rating", "timestamp", "movie_genres"),
    "movies": ("movie_id", "movie_title", "movie_genres"),
}
# dtypes of the ratings columns: tfds' (plain) and compact; movie_genres is an object column.
_PLAIN_DTYPES = {
    "user_id": "str", "movie_id": "str", "movie_title": "str", "user_rating": "float32",
    "timestamp": "int64", "bucketized_user_age": "int64", "raw_user_age": "int64",
    "user_gender": "str", "user_occupation_label": "int64", "user_occupation_text": "str",
    "user_zip_code": "str",
}
_COMPACT_DTYPES = {  # movie_title: an object column sharing one string per movie (_take)
    **_PLAIN_DTYPES, "user_id": "category", "movie_id": "category", "movie_title": "object",
    "bucketized_user_age": "int8", "raw_user_age": "int16", "user_gender": "category",
    "user_occupation_label": "int8", "user_occupation_text": "category",
    "user_zip_code": "category",
}


def _load(kind: str, variant: str, source: str, path: str | None, cache: bool,
          compact: bool | None) -> pd.DataFrame:
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    if source not in ("auto", "tfds", "grouplens"):
        raise ValueError(f"source must be 'auto', 'tfds' or 'grouplens', got {source!r}")
    compact = variant in COMPACT_BY_DEFAULT if compact is None else bool(compact)
    source = _resolve_source(variant, source, path)
    origin = str(Path(path or os.environ.get("MOVIELENS_DIR", ""))) if source == "grouplens" \
        else tfds_data_dir()
    if cache:
        frames = _read_cache(variant, source, origin, compact)
        if frames is not None:
            return frames[kind]
    if source == "grouplens":
        ratings, movies = load_grouplens(origin, variant, compact)
    else:
        ratings, movies = _load_tfds(variant, compact)
    _check_frames(variant, ratings, movies, compact)
    frames = {"ratings": ratings, "movies": movies}
    if cache:
        _write_cache(frames, variant, source, origin, compact)
    return frames[kind]


def _resolve_source(variant: str, source: str, path: str | None) -> str:
    if source != "auto":
        return source
    if _tfds_prepared(variant):
        return "tfds"
    if path or _has_grouplens_files(os.environ.get("MOVIELENS_DIR"), variant):
        return "grouplens"
    return "tfds"  # not prepared: tfds will try to download, with a clear error offline


def _has_grouplens_files(folder: str | None, variant: str) -> bool:
    return bool(folder) and all((Path(folder) / name).is_file()
                                for name in GROUPLENS_FILES[variant])


def _grouplens_folder(path, variant: str) -> Path:
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    folder = Path(path or os.environ.get("MOVIELENS_DIR", ""))
    files = ", ".join(GROUPLENS_FILES[variant])
    if not str(path or os.environ.get("MOVIELENS_DIR", "")) or not folder.is_dir():
        raise MovieLensDataError(
            f"No GroupLens folder at {str(folder)!r}. Pass path= or set MOVIELENS_DIR to an "
            f"extracted ml-{variant} folder (the one holding {files}).")
    missing = [name for name in GROUPLENS_FILES[variant] if not (folder / name).is_file()]
    if missing:
        raise MovieLensDataError(f"{folder} is not a GroupLens ml-{variant} folder: missing "
                                 f"{', '.join(missing)}. Re-extract ml-{variant}.zip there.")
    return folder


def _grouplens_reachable(timeout: float = 3.0) -> bool:
    import socket

    try:
        with socket.create_connection((GROUPLENS_HOST, 443), timeout=timeout):
            return True
    except OSError:
        return False


def _tfds_prepared(variant: str) -> bool:
    root = Path(tfds_data_dir()) / "movielens"
    return all(any((root / f"{variant}-{kind}").glob("*/dataset_info.json"))
               for kind in ("ratings", "movies"))


# --------------------------------------------------------------------------- tfds
def _load_tfds(variant: str, compact: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    if not _tfds_prepared(variant) and not _grouplens_reachable():
        # tfds would retry the download for minutes before failing; say what to do at once.
        raise MovieLensDataError(_tfds_failure_message(
            variant, ConnectionError(f"{GROUPLENS_HOST} is unreachable and no prepared copy "
                                     "was found")))
    from movierec_utils.tfenv import tf

    tfds = _import_tfds()
    try:
        ratings_ds = tfds.load(f"movielens/{variant}-ratings", split="train",
                               data_dir=tfds_data_dir())
        movies_ds = tfds.load(f"movielens/{variant}-movies", split="train",
                              data_dir=tfds_data_dir())
        # Titles and genres come from the movies split, joined by id (as the builder joined
        # them): decoding them for every rating would cost most of the time and memory.
        ratings = _dataset_to_frame(ratings_ds, tf, skip=("movie_title", "movie_genres"))
        movies = _movies_table(_dataset_to_frame(movies_ds, tf))
    except MovieLensDataError:
        raise
    except Exception as error:  # tfds/TF raise many types: download, parse, file errors
        raise MovieLensDataError(_tfds_failure_message(variant, error)) from None
    if "user_gender" in ratings:  # tfds: True for male
        ratings["user_gender"] = pd.Categorical.from_codes(
            ratings["user_gender"].to_numpy(bool).astype("int8"), categories=["F", "M"])
    where = (f"the tfds split movielens/{variant}-ratings in {tfds_data_dir()}", "row", 0)
    return _assemble(ratings, movies, None, where, _stars(variant), compact), movies


def _import_tfds():
    """tensorflow_datasets, or a clear error when its installation is broken: tfds swallows
    the failure of its own core import and then merely lacks ``load``, which would otherwise be
    reported as a data problem."""
    import tensorflow_datasets as tfds

    if hasattr(tfds, "load"):
        return tfds
    try:
        import tensorflow_datasets.core  # noqa: F401  (re-raises the hidden import error)
        cause = "it has no `load`"
    except Exception as error:
        cause = f"{type(error).__name__}: {(str(error).strip().splitlines() or [''])[0][:300]}"
    raise MovieLensDataError(
        f"tensorflow-datasets is installed but does not import ({cause}). This is a package "
        "version conflict, not a data problem: install the versions in requirements.txt "
        "(often protobuf vs tensorflow-metadata).")


def _dataset_to_frame(dataset, tf, skip=()) -> pd.DataFrame:
    """Read a whole tfds split in large ragged batches (``movie_genres`` varies in length);
    text arrives as categoricals, decoded once per distinct value and batch."""
    if skip:
        dataset = dataset.map(lambda example: {name: value for name, value in example.items()
                                               if name not in skip})
    chunks: dict[str, list] = {}
    for batch in dataset.ragged_batch(200_000):
        for name, value in batch.items():
            chunks.setdefault(name, []).append(_to_column(value, tf))
    if not chunks:
        raise MovieLensDataError("The tfds MovieLens split is empty: the prepared folder at "
                                 f"{tfds_data_dir()} is corrupt. Re-prepare it.")
    return pd.DataFrame({name: _concatenate(parts) for name, parts in chunks.items()})


def _to_column(value, tf):
    if isinstance(value, tf.RaggedTensor):
        rows = [np.asarray(row, dtype="int64") for row in value.to_list()]
        column = np.empty(len(rows), dtype=object)
        column[:] = rows
        return column
    array = value.numpy()
    if array.dtype == object:  # tf.string arrives as bytes
        codes, distinct = pd.factorize(array)
        return pd.Categorical.from_codes(codes, [item.decode("utf-8") for item in distinct])
    return array


def _concatenate(parts: list):
    if isinstance(parts[0], pd.Categorical):
        return pd.api.types.union_categoricals(parts)
    return np.concatenate(parts)


def _movies_table(movies: pd.DataFrame) -> pd.DataFrame:
    """The movies frame: string ids and titles, one genre array per movie, sorted by id."""
    movies = movies[["movie_id", "movie_title", "movie_genres"]]
    return _sort_movies(movies.astype({"movie_id": "str", "movie_title": "str"}))


def _tfds_failure_message(variant: str, error: Exception) -> str:
    first_line = (str(error).strip().splitlines() or [type(error).__name__])[0][:300]
    return (
        f"Could not load MovieLens {variant} with tensorflow-datasets from {tfds_data_dir()} "
        f"({type(error).__name__}: {first_line}).\n"
        "Without internet access, either set TFDS_DATA_DIR to a prepared tensorflow_datasets "
        "folder (one holding movielens/<variant>-ratings and -movies), or set MOVIELENS_DIR "
        f"(or pass path=) to an extracted GroupLens ml-{variant} folder "
        f"({', '.join(GROUPLENS_FILES[variant])}). If the folder exists, it may be corrupt: "
        "prepare it again."
    )


# --------------------------------------------------------------------------- GroupLens files
_RATING_NAMES = ["user_id", "movie_id", "user_rating", "timestamp"]


def _read_rating_lines(path: Path) -> tuple[pd.DataFrame, int]:
    """``user_id, movie_id, user_rating, timestamp`` of a ratings file, and the line number of
    its first rating. Ids and stars are read as text into categoricals (exact text, little
    memory at 25M rows); unreadable stars become NaN, which the value checks report by line."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    text = pa.dictionary(pa.int32(), pa.string())
    header = path.suffix == ".csv"  # ratings.csv: userId,movieId,rating,timestamp
    if path.suffix == ".dat":  # "::"-separated, which pyarrow cannot split on: one pass to \t
        source = io.BytesIO(path.read_bytes().decode("latin-1").replace("::", "\t").encode())
    else:
        source = str(path)
    try:
        table = pa_csv.read_csv(
            source,
            read_options=pa_csv.ReadOptions(column_names=_RATING_NAMES,
                                            skip_rows=1 if header else 0),
            parse_options=pa_csv.ParseOptions(delimiter="," if header else "\t",
                                              quote_char=False),
            convert_options=pa_csv.ConvertOptions(
                column_types={"user_id": text, "movie_id": text, "user_rating": text,
                              "timestamp": pa.int64()},
                strings_can_be_null=True))
    except pa.ArrowInvalid as error:
        raise ValueError(f"{path.name}: {error}") from None
    ratings = table.to_pandas()
    stars = ratings["user_rating"].array
    values = pd.to_numeric(pd.Series(stars.categories), errors="coerce").to_numpy(float)
    ratings["user_rating"] = np.append(values, np.nan)[stars.codes]  # code -1: no rating
    return ratings, 2 if header else 1


def _read_movies_100k(folder: Path) -> pd.DataFrame:
    items = pd.read_csv(folder / "u.item", sep="|", header=None, encoding="latin-1", dtype=str)
    if items.shape[1] != 5 + len(_GROUPLENS_GENRE_LABELS):
        raise ValueError(f"u.item has {items.shape[1]} columns, expected 24")
    flags = items.iloc[:, 5:].astype(int).to_numpy()
    labels = np.asarray(_GROUPLENS_GENRE_LABELS)
    return _movies_table(pd.DataFrame({
        "movie_id": items[0],
        "movie_title": items[1],
        "movie_genres": [np.sort(labels[row.astype(bool)]) for row in flags],
    }))


def _read_movies_1m(folder: Path) -> pd.DataFrame:
    movie_id, title, genres = zip(*_dat_rows(folder / "movies.dat", ("id", "title", "genres")))
    return _movies_with_genre_names(movie_id, title, genres, "movies.dat", first=1)


def _dat_rows(path: Path, fields: tuple) -> list[list[str]]:
    """The ``::``-separated rows of a latin-1 ml-1m file, each with exactly ``fields``."""
    rows = path.read_text(encoding="latin-1").splitlines()
    bad = [number for number, row in enumerate(rows, 1) if row.count("::") != len(fields) - 1]
    if bad:
        raise ValueError(f"{path.name} lines {bad[:10]} do not hold {'::'.join(fields)}")
    return [row.split("::") for row in rows]


def _read_movies_csv(folder: Path) -> pd.DataFrame:
    movies = pd.read_csv(folder / "movies.csv", dtype=str, keep_default_na=False,
                         encoding="utf-8")
    missing = {"movieId", "title", "genres"} - set(movies.columns)
    if missing:
        raise ValueError(f"movies.csv lacks the column(s) {sorted(missing)}")
    return _movies_with_genre_names(movies["movieId"], movies["title"], movies["genres"],
                                    "movies.csv", first=2)


def _movies_with_genre_names(movie_id, title, genres, name: str, first: int) -> pd.DataFrame:
    """Genres written as ``Action|Comedy`` → tfds labels, in file order (as tfds keeps them)."""
    labels, unknown = [], []
    for number, text in enumerate(genres, first):
        names = text.split("|")
        unknown += [(number, genre) for genre in names if genre not in _GENRE_LABELS]
        labels.append(np.asarray([_GENRE_LABELS.get(genre, -1) for genre in names], "int64"))
    if unknown:
        raise ValueError(f"{name} names genres tfds does not know, e.g. "
                         f"{', '.join(f'{genre!r} on line {n}' for n, genre in unknown[:5])}")
    column = np.empty(len(labels), dtype=object)
    column[:] = labels
    return _movies_table(pd.DataFrame({"movie_id": list(movie_id), "movie_title": list(title),
                                       "movie_genres": column}))


_GROUPLENS_MOVIE_READERS = {"100k": _read_movies_100k, "1m": _read_movies_1m,
                            "20m": _read_movies_csv, "25m": _read_movies_csv,
                            "latest-small": _read_movies_csv}


def _read_users_100k(path: Path) -> pd.DataFrame:
    users = pd.read_csv(path, sep="|", header=None, dtype=str,
                        names=["user_id", "raw_user_age", "user_gender",
                               "user_occupation_text", "user_zip_code"])
    users["raw_user_age"] = users["raw_user_age"].astype("int64")
    bucket_index = np.searchsorted(_AGE_BUCKETS, users["raw_user_age"], side="right") - 1
    users["bucketized_user_age"] = np.asarray(_AGE_BUCKETS)[np.clip(bucket_index, 0, None)]
    users["user_occupation_label"] = users["user_occupation_text"].map(_OCCUPATION_LABELS)
    if users["user_occupation_label"].isna().any():
        unknown = sorted(users.loc[users["user_occupation_label"].isna(),
                                   "user_occupation_text"].unique())
        raise ValueError(f"unknown occupations in u.user: {unknown}")
    users["user_occupation_label"] = users["user_occupation_label"].astype("int64")
    return users


def _read_users_1m(path: Path) -> pd.DataFrame:
    """users.dat: ``UserID::Gender::Age::Occupation::Zip-code``, coded as tfds codes it."""
    users = pd.DataFrame(_dat_rows(path, ("id", "gender", "age", "occupation", "zip")),
                         columns=["user_id", "user_gender", "age", "occupation",
                                  "user_zip_code"], dtype=str)
    age = pd.to_numeric(users["age"], errors="coerce")
    occupation = pd.to_numeric(users["occupation"], errors="coerce")
    bad = ~users["user_gender"].isin(["M", "F"]) | ~age.isin(_AGE_BUCKETS) \
        | ~occupation.isin(range(len(_OCCUPATIONS_1M)))
    if bad.any():
        raise ValueError(f"users.dat lines {(np.flatnonzero(bad)[:10] + 1).tolist()} do not hold "
                         f"id::M or F::age bucket {_AGE_BUCKETS}::occupation 0-20::zip")
    text = np.asarray(_OCCUPATIONS_1M, dtype=object)[occupation.to_numpy("int64")]
    label = [OCCUPATIONS.index("student" if job in _STUDENTS_1M else job) for job in text]
    return pd.DataFrame({
        "user_id": users["user_id"], "bucketized_user_age": age.to_numpy("int64"),
        "user_gender": users["user_gender"], "user_occupation_label": np.asarray(label, "int64"),
        "user_occupation_text": text, "user_zip_code": users["user_zip_code"]})


def _sort_movies(movies: pd.DataFrame) -> pd.DataFrame:
    order = np.argsort(movies["movie_id"].astype("int64").to_numpy(), kind="stable")
    return movies.iloc[order].reset_index(drop=True)


def _stars(variant: str) -> tuple:
    return WHOLE_STARS if variant in _WHOLE_STAR_VARIANTS else HALF_STARS


# --------------------------------------------------------------------------- assembly
def _assemble(ratings: pd.DataFrame, movies: pd.DataFrame, users: pd.DataFrame | None,
              where: tuple, stars, compact: bool) -> pd.DataFrame:
    """The ratings frame: ``ratings`` (ids, stars, timestamp and, from tfds, user features)
    checked, joined by id with the movies and ``users`` tables, in the schema's column order and
    dtypes (plain or compact). ``where`` = (what the rows are, "line" or "row", first number)."""
    _check_rating_values(ratings, stars, *where)
    columns = {name: ratings[name] for name in ("user_id", "movie_id", "user_rating",
                                                 "timestamp")}
    tables = [(movies, "movie_id", "movies missing from the movies file")]
    if users is not None:
        tables.append((users, "user_id", "users missing from the users file"))
    for table, key, what in tables:
        rows = index_positions(pd.Index(table[key]), ratings[key])
        _refuse(rows < 0, f"ratings of {what}", *where)
        columns.update({name: _take(table[name], rows, compact)
                        for name in table.columns if name != key})
    for name in ratings.columns.difference(list(columns)):  # user features from tfds
        columns[name] = ratings[name]
    frame = pd.DataFrame({name: columns[name] for name in _RATING_COLUMNS if name in columns})
    return _with_dtypes(frame, compact)


def _take(column: pd.Series, rows: np.ndarray, compact: bool):
    """``column[rows]``. Compact: text of few values (user features) as a categorical of the
    values taken; titles as the table's own string objects and genre arrays as the table's own
    arrays, shared by every rating of a movie rather than copied. Plain: values as tfds gives."""
    dtype = (_COMPACT_DTYPES if compact else _PLAIN_DTYPES).get(column.name, "object")
    if dtype == "category":
        codes, distinct = pd.factorize(column, sort=True)
        return pd.Categorical.from_codes(codes[rows], distinct).remove_unused_categories()
    if dtype == "object":  # an explicit object Series: pandas would copy strings into "str"
        return pd.Series(column.to_numpy(dtype=object)[rows], dtype=object)
    return column.to_numpy()[rows]


def _with_dtypes(frame: pd.DataFrame, compact: bool) -> pd.DataFrame:
    dtypes = _COMPACT_DTYPES if compact else _PLAIN_DTYPES
    for name, dtype in dtypes.items():
        if name not in frame:
            continue
        if dtype == "category":
            frame[name] = _sorted_categorical(frame[name])
        elif dtype.startswith("int") and dtype != "int64":
            frame[name] = _narrow(frame[name], dtype)
        else:
            frame[name] = frame[name].astype(dtype)
    return frame


def _sorted_categorical(column: pd.Series) -> pd.Categorical:
    """``column`` as a categorical with its (string) categories in sorted order, so grouping
    by it orders groups as for plain strings."""
    if not isinstance(column.dtype, pd.CategoricalDtype):
        codes, distinct = pd.factorize(column.astype("str"), sort=True)
        return pd.Categorical.from_codes(codes, distinct)
    categorical = column.array
    categories = categorical.categories.astype("str")
    order = np.argsort(np.asarray(categories, dtype=object), kind="stable")
    if (order == np.arange(len(order))).all():
        return pd.Categorical.from_codes(categorical.codes, categories)
    rank = np.empty(len(order), dtype=categorical.codes.dtype)
    rank[order] = np.arange(len(order))
    return pd.Categorical.from_codes(np.where(categorical.codes >= 0,
                                              rank[categorical.codes], -1), categories[order])


def _narrow(column: pd.Series, dtype: str) -> np.ndarray:
    """Integers in a smaller type, refusing values it cannot hold (never wrapping around)."""
    values = column.to_numpy("int64")
    limits = np.iinfo(dtype)
    if len(values) and (values.min() < limits.min or values.max() > limits.max):
        raise MovieLensDataError(f"{column.name} holds values outside {dtype} "
                                 f"({values.min()} to {values.max()}): the data is corrupt.")
    return values.astype(dtype)


def _check_rating_values(ratings: pd.DataFrame, stars, where: str, unit: str = "line",
                         first: int = 1) -> None:
    """Refuse a missing id, a missing rating, stars off the scale and a (user, movie) pair
    rated twice, naming the offending lines (numbered from ``first``): bad data stops here,
    not as a wrong metric."""
    missing_id = (ratings["user_id"].isna() | ratings["movie_id"].isna()).to_numpy()
    repeats = ratings.duplicated(["user_id", "movie_id"]).to_numpy()  # all copies but the first
    problems = {"a missing user or movie id": missing_id, **invalid_rating_rows(ratings, stars),
                "a repeated (user, movie) pair": repeats & ~missing_id}
    for what, bad in problems.items():
        _refuse(bad, what, where, unit, first)


def _refuse(bad: np.ndarray, what: str, where: str, unit: str, first: int) -> None:
    if bad.any():
        numbers = np.flatnonzero(bad) + first
        shown = ", ".join(map(str, numbers[:10])) + (" …" if len(numbers) > 10 else "")
        raise MovieLensDataError(
            f"{where} has {what} on {len(numbers)} {unit}(s): {shown}. The data is corrupt "
            "or was edited: extract or prepare it again.")


def _check_frames(variant: str, ratings, movies, compact: bool) -> None:
    """Schema and sizes, of freshly loaded frames and of cache hits alike."""
    for kind, frame in (("ratings", ratings), ("movies", movies)):
        columns = _REQUIRED_COLUMNS[kind]
        if not isinstance(frame, pd.DataFrame) or not set(columns) <= set(frame.columns):
            raise MovieLensDataError(f"the {kind} table is not a DataFrame with the columns "
                                     f"{', '.join(columns)}")
    expected = _COMPACT_DTYPES if compact else _PLAIN_DTYPES
    wrong = [f"{name} is {dtype}, not {expected.get(name, 'object')}"
             for name, dtype in ratings.dtypes.items()
             if str(dtype) != expected.get(name, "object")]
    if wrong:
        raise MovieLensDataError(f"the {'compact' if compact else 'plain'} ratings table's "
                                 f"{', '.join(wrong)}")
    _check_counts(variant, ratings, movies)


def _check_counts(variant: str, ratings: pd.DataFrame, movies: pd.DataFrame) -> None:
    """The sizes named in ``EXPECTED_COUNTS[variant]`` (any subset of its four keys)."""
    expected = EXPECTED_COUNTS.get(variant)
    if expected is None:
        return
    counters = {"ratings": lambda: len(ratings), "users": ratings["user_id"].nunique,
                "rated_movies": ratings["movie_id"].nunique, "movies": lambda: len(movies)}
    found = {name: counters[name]() for name in expected}
    if found != expected:
        raise MovieLensDataError(
            f"MovieLens {variant} should have {expected}, but the data loaded has {found}. "
            "The data folder is incomplete or corrupt: prepare or extract it again.")


# --------------------------------------------------------------------------- cache
# One file per source folder and content: a header line (format, fingerprint of the source
# files, SHA-256 of the rest), then the pickled {"ratings", "movies"} frames.
_CACHE_FORMAT = "movierec-cache-1"


def _cache_dir() -> Path:
    return Path(os.environ.get("MOVIEREC_CACHE_DIR") or Path.home() / ".cache" / "movierec")


def _cache_path(variant: str, source: str, origin: str, fingerprint: str,
                compact: bool) -> Path:
    folder_key = hashlib.sha1(str(Path(origin).resolve()).encode()).hexdigest()[:10]
    kind = f"{variant}-compact" if compact else variant
    return _cache_dir() / f"{kind}-{source}-{folder_key}-{fingerprint[:16]}.pkl"


def _source_fingerprint(variant: str, source: str, origin: str) -> str:
    """SHA-256 of the source files' names and contents (40 ms for the tfds 100k folder, about
    2 s for 25M's 0.7 GB): an entry is reused only for byte-identical data, whatever happened
    to sizes and times."""
    root = Path(origin)
    if source == "grouplens":
        files = [root / name for name in GROUPLENS_FILES[variant]]
    else:
        files = sorted(file for kind in ("ratings", "movies")
                       for file in (root / "movielens" / f"{variant}-{kind}").rglob("*"))
    digest = hashlib.sha256()
    for file in files:
        if file.is_file():
            digest.update(str(file.relative_to(root)).encode())
            with open(file, "rb") as handle:
                digest.update(hashlib.file_digest(handle, "sha256").digest())
    return digest.hexdigest()


def _cache_header(fingerprint: str, payload: bytes) -> bytes:
    return f"{_CACHE_FORMAT} {fingerprint} {hashlib.sha256(payload).hexdigest()}".encode()


def _read_cache(variant: str, source: str, origin: str, compact: bool) -> dict | None:
    """The cached frames of the current source files, or None. An entry that is unreadable,
    altered, or wrong in schema or counts is deleted with a warning naming it (the caller then
    rebuilds it), instead of being returned or failing on every later call."""
    fingerprint = _source_fingerprint(variant, source, origin)
    path = _cache_path(variant, source, origin, fingerprint, compact)
    if not path.is_file():
        return None
    try:
        content = path.read_bytes()
        newline = content.find(b"\n")  # -1 (none): an empty header, refused below
        header, payload = content[:max(newline, 0)], memoryview(content)[newline + 1:]
        if header != _cache_header(fingerprint, payload):
            raise MovieLensDataError("truncated, altered or not written by this version")
        frames = pickle.loads(payload)
        _check_frames(variant, frames["ratings"], frames["movies"], compact)
        return frames
    except Exception as error:  # whatever is wrong with an entry, rebuilding it is the cure
        reason = f"{type(error).__name__}: {error}".splitlines()[0]
        warnings.warn(f"Discarding the bad MovieLens cache file {path} ({reason}); reloading "
                      "from the source.", stacklevel=4)
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
        return None


def _write_cache(frames: dict, variant: str, source: str, origin: str, compact: bool) -> None:
    # Fingerprinted after loading: tfds may just have downloaded the files.
    fingerprint = _source_fingerprint(variant, source, origin)
    path = _cache_path(variant, source, origin, fingerprint, compact)
    payload = pickle.dumps(frames, protocol=pickle.HIGHEST_PROTOCOL)
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside, then renamed into place (atomic): a loader starting meanwhile finds the
        # previous entry or none, never half a file.
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(descriptor, "wb") as file:
            file.write(_cache_header(fingerprint, payload) + b"\n")
            file.write(payload)
        os.replace(temporary, path)
        for stale in path.parent.glob(f"{path.name.rsplit('-', 1)[0]}-*.pkl"):  # older contents
            if stale != path:
                stale.unlink(missing_ok=True)
    except OSError:
        # A read-only home only costs speed: the next call reloads from source.
        with contextlib.suppress(OSError):
            if temporary:
                Path(temporary).unlink(missing_ok=True)
