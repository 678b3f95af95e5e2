"""Loading MovieLens into pandas — the one place the notebooks get their data from.

Every MovieLens variant (``100k``, ``1m``, ``20m``, ``25m``, ``latest-small``) loads from two
sources with one schema:

* ``tfds`` — ``tfds.load("movielens/<variant>-ratings")``; online it downloads from GroupLens,
  offline it reads a prepared folder named by the standard ``TFDS_DATA_DIR`` variable.
* ``grouplens`` — an extracted GroupLens folder, named by the ``path`` argument or
  ``MOVIELENS_DIR``: ``ml-100k`` (``u.data``, ``u.item``, ``u.user``), ``ml-1m`` (``ratings.dat``,
  ``movies.dat``, ``users.dat``: ``::``-separated, latin-1), ``ml-20m``, ``ml-25m`` and
  ``ml-latest-small`` (``ratings.csv``, ``movies.csv``: UTF-8, with a header); see
  :data:`GROUPLENS_FILES`. The way out when GroupLens' servers or tfds are unavailable. It reads
  what tfds' MovieLens builder reads and codes it the same way (genre and occupation labels,
  genders, age buckets). A folder the caller names always wins over tfds' prepared copy, and
  one that does not exist or lacks the files is an error naming it.

MovieLens' licence forbids redistribution, so nothing here writes data into the repository: the
loaded frames are cached under ``~/.cache/movierec`` (``MOVIEREC_CACHE_DIR``), keyed on the
content of the source files, so edited data is reloaded. A cache entry is only used when its
checksum, schema and counts are right; anything else is rebuilt with a warning naming the file.
An entry is written aside under a name holding the writer's process id and renamed into place;
a writer that is interrupted removes it, and one killed outright leaves it to the next load,
which removes it once that process is gone.

Loading refuses what MovieLens never holds, naming the file and its lines (rows of a tfds
split): a line cut short or with other fields than the file's (a file must end with a line
break), an empty line, an id that is not a positive whole number, a movie or user id listed
twice in the movies or users file, a missing rating or stars outside the variant's scale
(:data:`WHOLE_STARS` for 100k and 1m, :data:`HALF_STARS` for the later sets), a time outside the
variant's published period (:data:`RATING_PERIODS`), a (user, movie) pair rated twice, a rating
of a movie or user that the movie or user file lacks, a CSV file whose first line is not its
header (columns are taken by the header's names, in any order), and text in another encoding
than GroupLens' (a UTF-8 copy of a latin-1 file is read as UTF-8; one converted twice, or a CSV
file that is not UTF-8, is refused). The sizes are checked against :data:`EXPECTED_COUNTS`, the
figures GroupLens publishes, and every set against :data:`MIN_RATINGS_PER_USER` (the check of
completeness for latest-small, which publishes no fixed size).

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
import csv
import hashlib
import io
import os
import pickle
import re
import secrets
import socket
import sys
import time
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

#: The days (UTC) each variant's ratings were made between, as GroupLens' READMEs give them
#: (1m: users who joined in 2000, released February 2003; latest-small grows with each release,
#: so its end is the day it is loaded). A time outside, with a day of slack for time zones, is
#: refused: it is a damaged line (a truncated ``87995`` is 1970).
RATING_PERIODS = {
    "100k": ("1997-09-19", "1998-04-22"),
    "1m": ("2000-01-01", "2003-02-28"),
    "20m": ("1995-01-09", "2015-03-31"),
    "25m": ("1995-01-09", "2019-11-21"),
    "latest-small": ("1995-01-09", None),
}
#: Every MovieLens set holds only users with at least this many ratings (each README says so):
#: a user with fewer means ratings are missing — the completeness check of the sets with no
#: published size (latest-small), and a second one for the others.
MIN_RATINGS_PER_USER = 20

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

    ``source`` is ``"tfds"``, ``"grouplens"`` or ``"auto"``. A folder named by the caller always
    wins: ``path``, else ``MOVIELENS_DIR``, is read with ``"auto"`` and ``"grouplens"``, and one
    that does not exist or lacks the variant's files is an error (never replaced by another
    copy). It may be the extracted ``ml-<variant>`` folder or the folder holding it. Without
    either, ``"auto"`` reads tfds' prepared data or downloads it, and ``"grouplens"`` says how
    to name a folder. ``compact`` defaults to ``variant in COMPACT_BY_DEFAULT``.
    """
    return _load("ratings", variant, source, path, cache, compact)


def load_movies(variant: str = "100k", source: str = "auto", path: str | None = None,
                cache: bool = True) -> pd.DataFrame:
    """One row per movie of the movies file (rated or not): ``movie_id``, ``movie_title``,
    ``movie_genres``, sorted by id; plain dtypes at every size. Sources as :func:`load_ratings`."""
    return _load("movies", variant, source, path, cache, None)


def load_grouplens(path: str | os.PathLike | None = None, variant: str = "100k",
                   compact: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read an extracted GroupLens folder of ``variant``'s layout (:data:`GROUPLENS_FILES`) —
    ``path``, else ``MOVIELENS_DIR`` — into checked ``(ratings, movies)`` frames: every line's
    fields, the published sizes (:data:`EXPECTED_COUNTS`) and, without them, completeness."""
    _check_arguments(variant, compact=compact)
    folder = _grouplens_folder(path, variant, "path=" if path is not None else "MOVIELENS_DIR")
    ratings, movies, where = _read_grouplens(folder, variant, bool(compact))
    _check_counts(variant, ratings, movies, str(folder))
    _check_complete(ratings, *where)
    return ratings, movies


def tfds_data_dir() -> str:
    """Where tfds reads prepared data: ``TFDS_DATA_DIR`` or its default ``~/tensorflow_datasets``."""
    return os.environ.get("TFDS_DATA_DIR") or str(Path.home() / "tensorflow_datasets")


def invalid_rating_rows(ratings: pd.DataFrame, stars=HALF_STARS) -> dict[str, np.ndarray]:
    """Boolean row masks of the ``user_rating`` values a ratings table must not hold, each keyed
    by what is wrong: missing (NaN, empty or not a number), or not one of ``stars``."""
    if not isinstance(ratings, pd.DataFrame) or "user_rating" not in ratings:
        raise ValueError("invalid_rating_rows needs a ratings DataFrame with a user_rating "
                         f"column (as load_ratings gives), got {_describe(ratings)}")
    try:
        stars = tuple(float(star) for star in stars)
    except (TypeError, ValueError):
        raise ValueError(f"stars must be a sequence of star values such as data.WHOLE_STARS "
                         f"or data.HALF_STARS, got {stars!r}") from None
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
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"memory_bytes measures a pandas DataFrame, got {_describe(frame)}")
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
    _check_arguments(variant, source, path, cache, compact)
    compact = variant in COMPACT_BY_DEFAULT if compact is None else bool(compact)
    source, folder = _resolve_source(variant, source, path)
    origin = str(folder) if source == "grouplens" else tfds_data_dir()
    if cache:
        frames = _read_cache(variant, source, origin, compact)
        if frames is not None:
            return frames[kind]
    if source == "grouplens":
        ratings, movies, where = _read_grouplens(folder, variant, compact)
    else:
        ratings, movies, where = _load_tfds(variant, compact)
    _check_frames(variant, ratings, movies, compact, origin)
    _check_complete(ratings, *where)
    frames = {"ratings": ratings, "movies": movies}
    if cache:
        _write_cache(frames, variant, source, origin, compact)
    return frames[kind]


def _describe(value) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:60] + '…' if len(text) > 60 else text}"


def _check_arguments(variant, source="auto", path=None, cache=True, compact=None) -> None:
    """The loaders' arguments, refused with a message naming the argument and what it takes."""
    if not isinstance(variant, str) or variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    if not isinstance(source, str) or source not in ("auto", "tfds", "grouplens"):
        raise ValueError(f"source must be 'auto', 'tfds' or 'grouplens', got {source!r}")
    if path is not None and not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a folder name (str or pathlib.Path) or None, got "
                        f"{_describe(path)}")
    if not isinstance(cache, (bool, np.bool_)):
        raise TypeError(f"cache must be True or False, got {_describe(cache)}")
    if compact is not None and not isinstance(compact, (bool, np.bool_)):
        raise TypeError(f"compact must be True, False or None (the variant's default), got "
                        f"{_describe(compact)}")


def _resolve_source(variant: str, source: str, path) -> tuple[str, Path | None]:
    """``("tfds", None)`` or ``("grouplens", folder)``. A folder the caller names wins: ``path``,
    else ``MOVIELENS_DIR`` (unless ``source="tfds"``); it must hold the variant's files."""
    if path is not None:
        if source == "tfds":
            raise ValueError(
                f"path={os.fspath(path)!r} names a GroupLens folder, but source='tfds' reads "
                "tfds' prepared data (TFDS_DATA_DIR): drop path=, or pass source='grouplens'.")
        return "grouplens", _grouplens_folder(path, variant, "path=")
    if source == "tfds":
        return "tfds", None
    if os.environ.get("MOVIELENS_DIR") or source == "grouplens":
        return "grouplens", _grouplens_folder(None, variant, "MOVIELENS_DIR")
    return "tfds", None


def _grouplens_folder(path, variant: str, named_by: str = "path=") -> Path:
    """The extracted ``ml-<variant>`` folder ``path`` (else ``MOVIELENS_DIR``) names — itself or
    its ``ml-<variant>`` subfolder — or an error naming it and saying how to give one."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    files = ", ".join(GROUPLENS_FILES[variant])
    how = (f"Pass path= or set MOVIELENS_DIR to an extracted ml-{variant} folder (the one "
           f"holding {files}) or to the folder that holds ml-{variant}/; ml-{variant}.zip is at "
           f"https://{GROUPLENS_HOST}/datasets/movielens/.")
    if path is None:
        path, named_by = os.environ.get("MOVIELENS_DIR", ""), "MOVIELENS_DIR"
        if not path:
            raise MovieLensDataError(
                f"No GroupLens folder was named for MovieLens {variant}: path= is not given "
                f"and MOVIELENS_DIR is not set. {how}")
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a folder name (str or pathlib.Path), got "
                        f"{_describe(path)}")
    text = os.fsdecode(os.fspath(path))
    if not text.strip():
        raise MovieLensDataError(f"{named_by} is empty ({text!r}): it names no folder. {how}")
    try:
        folder = Path(text).expanduser()
        exists = folder.exists()
    except (OSError, ValueError, RuntimeError) as error:  # a NUL byte, a name too long, no home
        raise MovieLensDataError(f"{named_by} {text!r} cannot name a folder ({error}). "
                                 f"{how}") from None
    if not exists:
        raise MovieLensDataError(f"The GroupLens folder {folder} (named by {named_by}) does "
                                 f"not exist. {how}")
    if not folder.is_dir():
        raise MovieLensDataError(f"{folder} (named by {named_by}) is a file, not a folder: "
                                 f"name the folder that holds {files}.")
    for candidate in (folder, folder / f"ml-{variant}"):
        if all((candidate / name).is_file() for name in GROUPLENS_FILES[variant]):
            return candidate
    missing = [name for name in GROUPLENS_FILES[variant] if not (folder / name).is_file()]
    raise MovieLensDataError(f"{folder} is not a GroupLens ml-{variant} folder: missing "
                             f"{', '.join(missing)} (the folder is named by {named_by}). "
                             f"Re-extract ml-{variant}.zip there, or name another folder.")


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
def _load_tfds(variant: str, compact: bool) -> tuple[pd.DataFrame, pd.DataFrame, tuple]:
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
    return _assemble(ratings, movies, None, where, variant, compact), movies, where


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
# Each reader checks what GroupLens guarantees of its file — every line complete with its
# fields, ids positive whole numbers given once, values on their scale, the published encoding
# — and names the file and the lines when that does not hold.
_RATING_NAMES = ["user_id", "movie_id", "user_rating", "timestamp"]
_CSV_RATING_HEADER = {"userId": "user_id", "movieId": "movie_id", "rating": "user_rating",
                      "timestamp": "timestamp"}
_CSV_MOVIE_HEADER = ("movieId", "title", "genres")
_ID = re.compile(r"[1-9][0-9]{0,9}")  # MovieLens ids have at most 6 digits; int64 holds 10
# "é" written as UTF-8 and read as latin-1 (or converted to UTF-8 twice) reads "Ã©".
_MOJIBAKE = re.compile("[\u00c2\u00c3][\u0080-\u00bf]")
_WHOLE_NUMBER = re.compile(rb"\s*[+-]?[0-9]+\s*")


def _read_grouplens(folder: Path, variant: str, compact: bool):
    """Checked ``(ratings, movies, where)`` of a GroupLens folder (sizes are checked after)."""
    ratings_file = folder / GROUPLENS_FILES[variant][0]
    try:
        ratings, first_line = _read_rating_lines(ratings_file)
        movies = _GROUPLENS_MOVIE_READERS[variant](folder)
        users = _read_users_100k(folder / "u.user") if variant == "100k" else \
            _read_users_1m(folder / "users.dat") if variant == "1m" else None
    except MovieLensDataError:
        raise
    except Exception as error:  # a failure the checks above did not foresee: still named
        reason = (str(error).strip().splitlines() or [""])[0][:300]
        raise MovieLensDataError(f"{folder} holds unreadable GroupLens files "
                                 f"({type(error).__name__}: {reason}). Re-extract "
                                 f"ml-{variant}.zip there.") from error
    where = (str(ratings_file), "line", first_line)
    return _assemble(ratings, movies, users, where, variant, compact), movies, where


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise MovieLensDataError(f"Cannot read {path} ({error.strerror or error}): check that "
                                 "it is a readable file, or extract it again.") from None


def _check_text(path: Path, head: bytes) -> None:
    """Refuse a compressed or binary file (or UTF-16 text) before reading it as lines."""
    if head.startswith((b"\x1f\x8b", b"PK\x03\x04", b"BZh", b"\xfd7zXZ")):
        raise MovieLensDataError(f"{path} is compressed (gzip, zip, bzip2 or xz), not the text "
                                 "file GroupLens' zip holds: extract it.")
    if b"\x00" in head:
        raise MovieLensDataError(f"{path} is not a text file in GroupLens' encoding (it holds "
                                 "NUL bytes: binary, or re-saved as UTF-16): extract it again.")


def _truncated(path: Path, line: int, tail: str) -> MovieLensDataError:
    tail = tail[-40:]
    return MovieLensDataError(
        f"{path} ends in the middle of line {line} ({tail!r} is not followed by a line "
        "break): the file is truncated, as by an interrupted download or copy. Extract it again.")


def _text_lines(path: Path, encoding: str) -> list[str]:
    """The lines of a movies or users file, decoded; a file must end with a line break."""
    raw = _read_bytes(path)
    if not raw.strip():
        raise MovieLensDataError(f"{path} is empty: extract it again.")
    _check_text(path, raw)
    text = _decode_latin1(path, raw) if encoding == "latin-1" else _decode_utf8(path, raw)
    lines = text.split("\n")
    if lines[-1]:
        raise _truncated(path, len(lines), lines[-1])
    return [line[:-1] if line.endswith("\r") else line for line in lines[:-1]]


def _decode_latin1(path: Path, raw: bytes) -> str:
    """A file GroupLens writes in latin-1 (ml-100k, ml-1m). Its accents are never valid UTF-8,
    so a non-ASCII file that decodes as UTF-8 is a copy re-encoded to UTF-8 (as some mirrors
    ship them): read as such, it gives the same text; read as latin-1 it would give mojibake."""
    if raw.isascii():
        return raw.decode("ascii")
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        return raw.decode("latin-1")
    for number, line in enumerate(text.split("\n"), 1):
        if _MOJIBAKE.search(line):
            raise MovieLensDataError(
                f"{path} line {number} holds mojibake ({line.strip()[:80]!r}): this copy was "
                "converted to UTF-8 twice. GroupLens ships the file in latin-1: extract it again.")
    return text


def _decode_utf8(path: Path, raw: bytes) -> str:
    """A file GroupLens writes in UTF-8 (the CSV sets); another encoding is refused by line."""
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise MovieLensDataError(
            f"{path} line {line} is not UTF-8 (byte {raw[error.start]:#04x}): GroupLens writes "
            "this file in UTF-8, so the copy was re-encoded (e.g. to latin-1 or Windows-1252). "
            "Extract it again.") from None


def _refuse_numbers(numbers, what: str, where: str, unit: str = "line") -> None:
    numbers = list(numbers)
    if numbers:
        shown = ", ".join(map(str, numbers[:10])) + (" …" if len(numbers) > 10 else "")
        raise MovieLensDataError(
            f"{where} has {what} on {len(numbers)} {unit}(s): {shown}. The data is corrupt "
            "or was edited: extract or prepare it again.")


def _fields(path: Path, lines: list[str], separator: str, names: tuple,
            first: int = 1) -> list[list[str]]:
    """Each line split into exactly ``names``; the lines that are not, refused by number."""
    rows = [line.split(separator) for line in lines]
    _refuse_numbers((number for number, row in enumerate(rows, first) if len(row) != len(names)),
                    f"lines that are not the {len(names)} fields {separator.join(names)}",
                    str(path))
    return rows


def _check_ids(path: Path, ids: list[str], what: str, first: int = 1) -> None:
    """Ids of a movies or users file: positive whole numbers, each on one line only."""
    _refuse_numbers((number for number, value in enumerate(ids, first)
                     if not _ID.fullmatch(value)),
                    f"a {what} id that is not a positive whole number", str(path))
    lines = pd.Series(np.arange(first, first + len(ids)), index=list(ids))
    repeated = lines[lines.index.duplicated(keep=False)]
    if len(repeated):
        examples = [f"{value!r} on lines {', '.join(map(str, numbers.tolist()))}"
                    for value, numbers in repeated.groupby(level=0, sort=False)][:5]
        raise MovieLensDataError(
            f"{path} gives {repeated.index.nunique()} {what} id(s) on more than one line: "
            f"{'; '.join(examples)}. Each {what} is listed once: the file is corrupt or was "
            "edited; extract it again.")


def _check_titles(path: Path, titles: list[str], first: int = 1) -> None:
    _refuse_numbers((number for number, title in enumerate(titles, first) if not title.strip()),
                    "an empty movie title", str(path))


def _ratings_header(path: Path) -> list[str]:
    """ratings.csv's column names (its first line), in file order, as the frame names them."""
    try:
        with open(path, "rb") as handle:
            first = handle.readline(1_000)
    except OSError as error:
        raise MovieLensDataError(f"Cannot read {path} ({error.strerror or error}): check that "
                                 "it is a readable file, or extract it again.") from None
    names = first.decode("utf-8", "replace").removeprefix("\ufeff").strip().split(",")
    if sorted(names) != sorted(_CSV_RATING_HEADER):
        raise MovieLensDataError(
            f"{path} line 1 is not the header naming the columns {','.join(_CSV_RATING_HEADER)} "
            f"(in any order); it reads {first.decode('utf-8', 'replace').strip()[:80]!r}. The "
            "header is missing or damaged (without it the first rating would be lost or columns "
            "swapped): extract the file again.")
    return [_CSV_RATING_HEADER[name] for name in names]


def _last_byte(path: Path, raw: bytes | None) -> bytes:
    if raw is not None:
        return raw[-1:]
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        if handle.tell() == 0:
            return b""
        handle.seek(-1, os.SEEK_END)
        return handle.read(1)


def _last_line(path: Path, raw: bytes | None) -> tuple[int, str]:
    """The number and text of a file's last line (read in chunks: only when it is needed)."""
    if raw is not None:
        return raw.count(b"\n") + 1, raw[raw.rfind(b"\n") + 1:].decode("latin-1")
    count, tail = 0, b""
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 24), b""):
            count += chunk.count(b"\n")
            tail = (tail + chunk)[-200:]
    return count + 1, tail[tail.rfind(b"\n") + 1:].decode("latin-1")


def _read_rating_lines(path: Path) -> tuple[pd.DataFrame, int]:
    """``user_id, movie_id, user_rating, timestamp`` of a ratings file, and the line number of
    its first rating. Ids and stars are read as text into categoricals (exact text, little
    memory at 25M rows); unreadable stars become NaN, which the value checks report by line.
    ratings.csv's columns are taken by their header's names, in any order."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    text = pa.dictionary(pa.int32(), pa.string())
    header = path.suffix == ".csv"  # ratings.csv: userId,movieId,rating,timestamp
    names = _ratings_header(path) if header else _RATING_NAMES
    raw = None
    if path.suffix == ".dat":  # "::"-separated, which pyarrow cannot split on: one pass to \t
        raw = _read_bytes(path).decode("latin-1").replace("::", "\t").encode()
        source = io.BytesIO(raw)
    else:
        source = str(path)
    try:
        if raw is None:
            with open(path, "rb") as handle:
                _check_text(path, handle.read(1 << 16))
        else:
            _check_text(path, raw[:1 << 16])
        last = _last_byte(path, raw)
    except OSError as error:
        raise MovieLensDataError(f"Cannot read {path} ({error.strerror or error}): check that "
                                 "it is a readable file, or extract it again.") from None
    if not last:
        raise MovieLensDataError(f"{path} is empty: extract it again.")
    if last != b"\n":
        raise _truncated(path, *_last_line(path, raw))
    delimiter = "," if header else "\t"
    try:
        table = pa_csv.read_csv(
            source,
            read_options=pa_csv.ReadOptions(column_names=names, skip_rows=1 if header else 0),
            parse_options=pa_csv.ParseOptions(delimiter=delimiter, quote_char=False,
                                              ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(
                column_types={"user_id": text, "movie_id": text, "user_rating": text,
                              "timestamp": pa.int64()},
                strings_can_be_null=True))
    except pa.ArrowInvalid as error:
        raise _unreadable_rating_lines(path, raw, delimiter, 2 if header else 1, error) from None
    except OSError as error:
        raise MovieLensDataError(f"Cannot read {path} ({error.strerror or error}): check that "
                                 "it is a readable file, or extract it again.") from None
    if table.num_rows == 0:
        raise MovieLensDataError(f"{path} holds no ratings: extract it again.")
    first = 2 if header else 1
    if table.column("timestamp").null_count:  # an empty line has no field at all
        null = {name: table.column(name).is_null().to_numpy(zero_copy_only=False)
                for name in names}
        empty = np.logical_and.reduce(list(null.values()))
        _refuse_numbers(np.flatnonzero(empty) + first, "an empty line", str(path))
        _refuse_numbers(np.flatnonzero(null["timestamp"]) + first, "no timestamp", str(path))
    ratings = table.to_pandas()[_RATING_NAMES]
    stars = ratings["user_rating"].array
    values = pd.to_numeric(pd.Series(stars.categories), errors="coerce").to_numpy(float)
    ratings["user_rating"] = np.append(values, np.nan)[stars.codes]  # code -1: no rating
    ratings["timestamp"] = ratings["timestamp"].astype("int64")
    return ratings, first


def _unreadable_rating_lines(path: Path, raw: bytes | None, delimiter: str, first: int,
                             error: Exception) -> MovieLensDataError:
    """What pyarrow could not parse, found line by line (only when parsing failed)."""
    separator = delimiter.encode()
    found = []
    with contextlib.ExitStack() as stack:
        lines = io.BytesIO(raw) if raw is not None else stack.enter_context(open(path, "rb"))
        for number, line in enumerate(lines, 1):
            if number < first:
                continue
            fields = line.rstrip(b"\r\n").split(separator)
            if len(fields) != 4:
                reason = f"{len(fields)} field(s), not 4 (user, movie, rating, timestamp)"
            elif fields[3].strip() and (not _WHOLE_NUMBER.fullmatch(fields[3])
                                        or len(fields[3].strip().lstrip(b"+-")) > 18):
                reason = (f"the timestamp {fields[3][:24].decode('latin-1')!r}, not whole "
                          "seconds of at most 18 digits")
            else:
                try:
                    line.decode("utf-8")
                    continue
                except UnicodeDecodeError:
                    reason = "bytes that are not UTF-8"
            found.append(f"line {number} ({reason})")
            if len(found) == 5:
                break
    if not found:
        found = [str(error).strip().splitlines()[0][:200]]
    return MovieLensDataError(f"{path} has unreadable lines: {'; '.join(found)}. The data is "
                              "corrupt or was edited: extract it again.")


def _read_movies_100k(folder: Path) -> pd.DataFrame:
    """u.item: ``id|title|release date|video release date|IMDb URL|19 genre flags``, latin-1."""
    path = folder / "u.item"
    rows = _fields(path, _text_lines(path, "latin-1"), "|",
                   ("movie id", "title", "release date", "video release date", "IMDb URL",
                    *(["genre flag"] * len(_GROUPLENS_GENRE_LABELS))))
    _check_ids(path, [row[0] for row in rows], "movie")
    _check_titles(path, [row[1] for row in rows])
    flags = np.asarray([row[5:] for row in rows], dtype=object)
    _refuse_numbers(np.flatnonzero(~np.isin(flags, ["0", "1"]).all(axis=1)) + 1,
                    "genre flags other than 0 or 1", str(path))
    labels = np.asarray(_GROUPLENS_GENRE_LABELS)
    return _movies_table(pd.DataFrame({
        "movie_id": [row[0] for row in rows],
        "movie_title": [row[1] for row in rows],
        "movie_genres": [np.sort(labels[row == "1"]) for row in flags],
    }))


def _read_movies_1m(folder: Path) -> pd.DataFrame:
    path = folder / "movies.dat"
    rows = _fields(path, _text_lines(path, "latin-1"), "::", ("MovieID", "Title", "Genres"))
    movie_id, title, genres = (list(column) for column in zip(*rows))
    _check_ids(path, movie_id, "movie")
    _check_titles(path, title)
    return _movies_with_genre_names(movie_id, title, genres, path, first=1)


def _read_movies_csv(folder: Path) -> pd.DataFrame:
    """movies.csv: ``movieId,title,genres`` (header by name, in any order), quoted CSV, UTF-8."""
    path = folder / "movies.csv"
    lines = _text_lines(path, "utf-8")
    rows = [_csv_fields(line) for line in lines]  # a line each: numbers stay line numbers
    header = rows[0] if rows else []
    if sorted(header) != sorted(_CSV_MOVIE_HEADER):
        raise MovieLensDataError(
            f"{path} line 1 is not the header naming the columns {','.join(_CSV_MOVIE_HEADER)} "
            f"(in any order); it reads {lines[0][:80]!r}. The header is missing or damaged: "
            "extract the file again.")
    rows = rows[1:]
    _refuse_numbers((number for number, row in enumerate(rows, 2) if len(row) != 3),
                    "lines that are not the 3 fields " + ",".join(header), str(path))
    column = {name: [row[index] for row in rows] for index, name in enumerate(header)}
    _check_ids(path, column["movieId"], "movie", first=2)
    _check_titles(path, column["title"], first=2)
    return _movies_with_genre_names(column["movieId"], column["title"], column["genres"], path,
                                    first=2)


def _csv_fields(line: str) -> list[str]:
    """The fields of one CSV line (quoted fields allowed, as leniently as pandas reads them);
    [] when it cannot be read (a NUL byte)."""
    try:
        return next(csv.reader([line]), [])
    except csv.Error:
        return []


def _movies_with_genre_names(movie_id, title, genres, path: Path, first: int) -> pd.DataFrame:
    """Genres written as ``Action|Comedy`` → tfds labels, in file order (as tfds keeps them)."""
    labels, unknown = [], []
    for number, text in enumerate(genres, first):
        names = text.split("|")
        unknown += [(number, genre) for genre in names if genre not in _GENRE_LABELS]
        labels.append(np.asarray([_GENRE_LABELS.get(genre, -1) for genre in names], "int64"))
    if unknown:
        raise MovieLensDataError(
            f"{path} names genres tfds does not know, e.g. "
            f"{', '.join(f'{genre!r} on line {n}' for n, genre in unknown[:5])}. The file is "
            "corrupt or was edited: extract it again.")
    column = np.empty(len(labels), dtype=object)
    column[:] = labels
    return _movies_table(pd.DataFrame({"movie_id": list(movie_id), "movie_title": list(title),
                                       "movie_genres": column}))


_GROUPLENS_MOVIE_READERS = {"100k": _read_movies_100k, "1m": _read_movies_1m,
                            "20m": _read_movies_csv, "25m": _read_movies_csv,
                            "latest-small": _read_movies_csv}


def _read_users_100k(path: Path) -> pd.DataFrame:
    """u.user: ``id|age|gender|occupation|zip code``."""
    rows = _fields(path, _text_lines(path, "latin-1"), "|",
                   ("user id", "age", "gender", "occupation", "zip code"))
    users = pd.DataFrame(rows, columns=["user_id", "raw_user_age", "user_gender",
                                        "user_occupation_text", "user_zip_code"], dtype=str)
    _check_ids(path, users["user_id"].tolist(), "user")
    age = pd.to_numeric(users["raw_user_age"].where(
        users["raw_user_age"].str.fullmatch(r"[0-9]+")), errors="coerce")
    _refuse_numbers(np.flatnonzero(~age.between(1, 120)) + 1,
                    "an age that is not a whole number of years from 1 to 120", str(path))
    _refuse_numbers(np.flatnonzero(~users["user_gender"].isin(["M", "F"])) + 1,
                    "a gender other than M or F", str(path))
    users["raw_user_age"] = age.astype("int64")
    bucket_index = np.searchsorted(_AGE_BUCKETS, users["raw_user_age"], side="right") - 1
    users["bucketized_user_age"] = np.asarray(_AGE_BUCKETS)[np.clip(bucket_index, 0, None)]
    label = users["user_occupation_text"].map(_OCCUPATION_LABELS)
    _refuse_numbers(np.flatnonzero(label.isna()) + 1, "an occupation the MovieLens 100k list "
                    f"({', '.join(sorted(_OCCUPATION_LABELS))}) does not hold", str(path))
    users["user_occupation_label"] = label.astype("int64")
    return users


def _read_users_1m(path: Path) -> pd.DataFrame:
    """users.dat: ``UserID::Gender::Age::Occupation::Zip-code``, coded as tfds codes it."""
    rows = _fields(path, _text_lines(path, "latin-1"), "::",
                   ("UserID", "Gender", "Age", "Occupation", "Zip-code"))
    users = pd.DataFrame(rows, columns=["user_id", "user_gender", "age", "occupation",
                                        "user_zip_code"], dtype=str)
    _check_ids(path, users["user_id"].tolist(), "user")
    age = pd.to_numeric(users["age"].where(users["age"].str.fullmatch(r"[0-9]+")),
                        errors="coerce")
    occupation = pd.to_numeric(users["occupation"].where(
        users["occupation"].str.fullmatch(r"[0-9]+")), errors="coerce")
    bad = ~users["user_gender"].isin(["M", "F"]) | ~age.isin(_AGE_BUCKETS) \
        | ~occupation.isin(range(len(_OCCUPATIONS_1M)))
    _refuse_numbers(np.flatnonzero(bad) + 1, "lines that do not hold id::M or F::age bucket "
                    f"{_AGE_BUCKETS}::occupation 0-20::zip", str(path))
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


def _period(variant: str) -> tuple[int, int, str]:
    """Seconds bounding ``variant``'s rating times: its published period, a day of slack either
    side for time zones; and the period as text."""
    start, end = RATING_PERIODS[variant]
    end_time = pd.Timestamp(end, tz="UTC") if end else pd.Timestamp.now(tz="UTC").normalize()
    day = 86_400
    return (int(pd.Timestamp(start, tz="UTC").timestamp()) - day,
            int(end_time.timestamp()) + 2 * day,
            f"{start} to {end or 'today'}")


# --------------------------------------------------------------------------- assembly
def _assemble(ratings: pd.DataFrame, movies: pd.DataFrame, users: pd.DataFrame | None,
              where: tuple, variant: str, compact: bool) -> pd.DataFrame:
    """The ratings frame: ``ratings`` (ids, stars, timestamp and, from tfds, user features)
    checked, joined by id with the movies and ``users`` tables, in the schema's column order and
    dtypes (plain or compact). ``where`` = (what the rows are, "line" or "row", first number)."""
    _check_rating_values(ratings, variant, *where)
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


def _check_rating_values(ratings: pd.DataFrame, variant: str, where: str, unit: str = "line",
                         first: int = 1) -> None:
    """Refuse a missing or malformed id, a missing rating, stars off the variant's scale, a
    time outside the variant's published period and a (user, movie) pair rated twice, naming
    the offending lines (numbered from ``first``): bad data stops here, not as a wrong metric."""
    missing_id = (ratings["user_id"].isna() | ratings["movie_id"].isna()).to_numpy()
    _refuse(missing_id, "a missing user or movie id", where, unit, first)
    for key, what in (("user_id", "user"), ("movie_id", "movie")):
        column = ratings[key]
        distinct = column.cat.categories if isinstance(column.dtype, pd.CategoricalDtype) \
            else pd.unique(column.dropna())
        malformed = [value for value in distinct
                     if not isinstance(value, str) or not _ID.fullmatch(value)]
        if malformed:
            _refuse(column.isin(malformed).to_numpy(), f"a {what} id that is not a positive "
                    f"whole number (e.g. {malformed[0]!r})", where, unit, first)
    for what, bad in invalid_rating_rows(ratings, _stars(variant)).items():
        _refuse(bad, what, where, unit, first)
    low, high, period = _period(variant)
    timestamp = pd.to_numeric(ratings["timestamp"], errors="coerce").to_numpy(dtype=float)
    outside = ~((timestamp >= low) & (timestamp <= high))
    if outside.any():
        example = timestamp[np.flatnonzero(outside)[0]]
        shown = pd.Timestamp(int(example), unit="s", tz="UTC").strftime("%Y-%m-%d") \
            if np.isfinite(example) and abs(example) < 1e11 else "no date"
        _refuse(outside, f"a time outside {period}, when MovieLens {variant}'s ratings were "
                f"made (e.g. {example:.0f} = {shown})", where, unit, first)
    repeats = ratings.duplicated(["user_id", "movie_id"]).to_numpy()  # all copies but the first
    _refuse(repeats, "a repeated (user, movie) pair", where, unit, first)


def _check_complete(ratings: pd.DataFrame, where: str, unit: str = "line",
                    first: int = 1) -> None:
    """Every MovieLens user rated at least :data:`MIN_RATINGS_PER_USER` movies: fewer means a
    file cut short (the check of completeness where no size is published)."""
    counts = ratings["user_id"].value_counts(sort=False)
    few = counts[(counts > 0) & (counts < MIN_RATINGS_PER_USER)]
    if len(few):
        _refuse(ratings["user_id"].isin(few.index).to_numpy(),
                f"the ratings of {len(few)} user(s) with fewer than {MIN_RATINGS_PER_USER} "
                f"(user {few.index[0]!r} has {few.iloc[0]}; every MovieLens user rated at "
                f"least {MIN_RATINGS_PER_USER} movies: ratings are missing)", where, unit, first)


def _refuse(bad: np.ndarray, what: str, where: str, unit: str, first: int) -> None:
    if bad.any():
        _refuse_numbers(np.flatnonzero(bad) + first, what, where, unit)


def _check_frames(variant: str, ratings, movies, compact: bool, origin: str = "") -> None:
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
    _check_counts(variant, ratings, movies, origin)


def _check_counts(variant: str, ratings: pd.DataFrame, movies: pd.DataFrame,
                  origin: str = "") -> None:
    """The sizes named in ``EXPECTED_COUNTS[variant]`` (any subset of its four keys)."""
    expected = EXPECTED_COUNTS.get(variant)
    if expected is None:
        return
    counters = {"ratings": lambda: len(ratings), "users": ratings["user_id"].nunique,
                "rated_movies": ratings["movie_id"].nunique, "movies": lambda: len(movies)}
    found = {name: counters[name]() for name in expected}
    if found != expected:
        raise MovieLensDataError(
            f"MovieLens {variant} should have {expected}, but the data loaded"
            f"{f' from {origin}' if origin else ''} has {found}. The data folder is incomplete "
            "or corrupt: prepare or extract it again.")


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
    if _cache_dir().is_dir():
        _remove_stale_temporaries(_cache_dir())
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


# Cache entries are written aside under a name that proves whose they are — a fixed prefix,
# the host and the writer's process id — and renamed into place. A writer killed mid-write
# (SIGKILL, a power cut) leaves its temporary behind; the next load deletes it once that process
# is gone. Any other failure (Ctrl-C included) deletes it at once.
_TEMPORARY_PREFIX = ".movierec-writing-"
_LEGACY_TEMPORARY = re.compile(r"tmp[a-z0-9_]{8}\.tmp")  # mkstemp's, the former naming


def _temporary_path(folder: Path) -> Path:
    return folder / (f"{_TEMPORARY_PREFIX}{socket.gethostname()}-{os.getpid()}-"
                     f"{secrets.token_hex(4)}.tmp")


def _process_alive(pid: int) -> bool:
    if os.name == "nt":  # os.kill(pid, 0) would terminate it there: never claim it is gone
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # alive, another user's
        return True
    return True


def _remove_stale_temporaries(folder: Path) -> None:
    """Delete the temporaries of cache writers that are gone: this host's by name with a
    process id that no longer runs, and the previous naming's untouched for an hour."""
    host = socket.gethostname()
    with contextlib.suppress(OSError):
        for file in folder.glob(f"{_TEMPORARY_PREFIX}*.tmp"):
            writer = file.name[len(_TEMPORARY_PREFIX):-len(".tmp")].rsplit("-", 2)
            if len(writer) == 3 and writer[0] == host and writer[1].isdigit() \
                    and not _process_alive(int(writer[1])):
                with contextlib.suppress(OSError):
                    file.unlink(missing_ok=True)
        for file in folder.glob("tmp*.tmp"):
            with contextlib.suppress(OSError):
                if _LEGACY_TEMPORARY.fullmatch(file.name) \
                        and file.stat().st_mtime < time.time() - 3600:
                    file.unlink(missing_ok=True)


def _write_cache(frames: dict, variant: str, source: str, origin: str, compact: bool) -> None:
    # Fingerprinted after loading: tfds may just have downloaded the files.
    fingerprint = _source_fingerprint(variant, source, origin)
    path = _cache_path(variant, source, origin, fingerprint, compact)
    payload = pickle.dumps(frames, protocol=pickle.HIGHEST_PROTOCOL)
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_temporaries(path.parent)
        # Written aside, then renamed into place (atomic): a loader starting meanwhile finds the
        # previous entry or none, never half a file.
        temporary = _temporary_path(path.parent)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(_cache_header(fingerprint, payload) + b"\n")
            file.write(payload)
        os.replace(temporary, path)
        temporary = None
        for stale in path.parent.glob(f"{path.name.rsplit('-', 1)[0]}-*.pkl"):  # older contents
            if stale != path:
                stale.unlink(missing_ok=True)
    except BaseException as error:  # Ctrl-C and every other failure: no temporary left behind
        if temporary is not None:
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)
        if not isinstance(error, OSError):
            raise
        # An OSError (a read-only home, a full disk) only costs speed: the next call reloads.
