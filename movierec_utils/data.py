"""Loading MovieLens into pandas — the one place the notebooks get their data from.

Two sources give the same schema:

* ``tfds`` — ``tfds.load("movielens/<variant>-ratings")``; online it downloads from GroupLens,
  offline it reads a prepared folder named by the standard ``TFDS_DATA_DIR`` variable.
* ``grouplens`` — an extracted GroupLens ``ml-100k`` folder (``u.data``, ``u.item``, ``u.user``),
  named by ``MOVIELENS_DIR`` or the ``path`` argument; the way out when GroupLens' servers or
  tfds are unavailable.

MovieLens' licence forbids redistribution, so nothing here writes data into the repository: the
loaded frames are cached under ``~/.cache/movierec`` (``MOVIEREC_CACHE_DIR``), keyed on the
content of the source files, so edited data is reloaded. A cache entry is only used when its
checksum, schema and counts are right; anything else is rebuilt with a warning naming the file.

Loading refuses what MovieLens never holds: a missing rating, stars outside the variant's scale
(:data:`WHOLE_STARS` for 100k and 1m, :data:`HALF_STARS` for the later sets) and a (user, movie)
pair rated twice; the error names the offending lines of ``u.data`` (rows of a tfds split).

Columns of :func:`load_ratings` (tfds feature names, decoded):
``user_id`` (str), ``movie_id`` (str), ``movie_title`` (str), ``user_rating`` (float),
``timestamp`` (int, seconds since 1970 UTC), ``movie_genres`` (list of int genre labels, see
:data:`GENRES`), ``bucketized_user_age`` (int), ``raw_user_age`` (int, 100k only),
``user_gender`` (str ``"M"``/``"F"``), ``user_occupation_label`` (int),
``user_occupation_text`` (str), ``user_zip_code`` (str).
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

GROUPLENS_HOST = "files.grouplens.org"  # where tfds downloads MovieLens from
_GROUPLENS_FILES = ("u.data", "u.item", "u.user")
VARIANTS = ("100k", "1m", "20m", "25m", "latest-small")

#: Genre label names of the tfds MovieLens features, indexed by label.
GENRES = (
    "Action", "Adventure", "Animation", "Children", "Comedy", "Crime", "Documentary", "Drama",
    "Fantasy", "Film-Noir", "Horror", "IMAX", "Musical", "Mystery", "Romance", "Sci-Fi",
    "Thriller", "Unknown", "War", "Western", "(no genres listed)",
)

#: Expected sizes after loading; a mismatch means a truncated or wrong download.
EXPECTED_COUNTS = {
    "100k": {"ratings": 100_000, "users": 943, "movies": 1_682},
    "1m": {"ratings": 1_000_209, "users": 6_040, "movies": 3_706},
}

# The tfds builder maps GroupLens' raw occupation texts onto these shared labels.
_OCCUPATION_LABELS = {
    "educator": 0, "artist": 1, "administrator": 2, "doctor": 4, "healthcare": 4,
    "entertainment": 5, "executive": 6, "homemaker": 8, "lawyer": 9, "librarian": 10,
    "other": 11, "none": 11, "programmer": 12, "retired": 13, "marketing": 14, "salesman": 14,
    "scientist": 15, "student": 17, "technician": 18, "engineer": 18, "writer": 21,
}
# u.item's 19 genre flag columns, in file order, as tfds genre labels.
_GROUPLENS_GENRE_LABELS = [GENRES.index(name) for name in (
    "Unknown", "Action", "Adventure", "Animation", "Children", "Comedy", "Crime", "Documentary",
    "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi",
    "Thriller", "War", "Western",
)]
_AGE_BUCKETS = (1, 18, 25, 35, 45, 50, 56)  # lower bounds of the MovieLens age buckets

#: The star values a rating can take: whole stars in 100k and 1m, half stars in the later sets.
WHOLE_STARS = (1.0, 2.0, 3.0, 4.0, 5.0)
HALF_STARS = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0)
_WHOLE_STAR_VARIANTS = ("100k", "1m")


class MovieLensDataError(RuntimeError):
    """The MovieLens data could not be found or is not what it should be."""


# --------------------------------------------------------------------------- public API
def load_ratings(variant: str = "100k", source: str = "auto", path: str | None = None,
                 cache: bool = True) -> pd.DataFrame:
    """One row per rating, with user and movie features (see the module docstring).

    ``source`` is ``"tfds"``, ``"grouplens"`` or ``"auto"`` (tfds when its data is prepared
    locally, else the GroupLens folder in ``MOVIELENS_DIR``, else a tfds download).
    """
    return _load("ratings", variant, source, path, cache)


def load_movies(variant: str = "100k", source: str = "auto", path: str | None = None,
                cache: bool = True) -> pd.DataFrame:
    """One row per movie: ``movie_id``, ``movie_title``, ``movie_genres``, sorted by id."""
    return _load("movies", variant, source, path, cache)


def load_grouplens(path: str | os.PathLike | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read an extracted GroupLens ``ml-100k`` folder into ``(ratings, movies)`` frames."""
    folder = Path(path or os.environ.get("MOVIELENS_DIR", ""))
    if not str(folder) or not folder.is_dir():
        raise MovieLensDataError(
            f"No GroupLens folder at {str(folder)!r}. Pass path= or set MOVIELENS_DIR to an "
            "extracted ml-100k folder (the one holding u.data, u.item and u.user).")
    missing = [name for name in _GROUPLENS_FILES if not (folder / name).is_file()]
    if missing:
        raise MovieLensDataError(f"{folder} is not a GroupLens ml-100k folder: missing "
                                 f"{', '.join(missing)}. Re-extract ml-100k.zip there.")
    try:
        movies = _read_grouplens_items(folder / "u.item")
        users = _read_grouplens_users(folder / "u.user")
        ratings = pd.read_csv(folder / "u.data", sep="\t", header=None, dtype=str,
                              names=["user_id", "movie_id", "user_rating", "timestamp"])
        # Not-a-number ratings become NaN, which the value check reports with their lines.
        ratings["user_rating"] = pd.to_numeric(ratings["user_rating"],
                                               errors="coerce").astype(float)
        ratings["timestamp"] = ratings["timestamp"].astype("int64")
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise MovieLensDataError(f"{folder} holds unreadable GroupLens files ({error}). "
                                 "Re-extract ml-100k.zip there.") from error
    _check_rating_values(ratings, str(folder / "u.data"), WHOLE_STARS)  # u.data has no header
    ratings = ratings.merge(movies, on="movie_id", how="left").merge(users, on="user_id",
                                                                    how="left")
    if ratings["movie_title"].isna().any() or ratings["user_gender"].isna().any():
        raise MovieLensDataError(f"{folder}/u.data names users or movies missing from u.user or "
                                 "u.item. Re-extract ml-100k.zip there.")
    return ratings[_RATING_COLUMNS], movies


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


# --------------------------------------------------------------------------- internals
_RATING_COLUMNS = [
    "user_id", "movie_id", "movie_title", "user_rating", "timestamp", "movie_genres",
    "bucketized_user_age", "raw_user_age", "user_gender", "user_occupation_label",
    "user_occupation_text", "user_zip_code",
]
# What every variant has, whichever source: the schema a cache entry must show.
_REQUIRED_COLUMNS = {
    "ratings": ("user_id", "movie_id", "movie_title", "user_rating", "timestamp"),
    "movies": ("movie_id", "movie_title", "movie_genres"),
}


def _load(kind: str, variant: str, source: str, path: str | None, cache: bool) -> pd.DataFrame:
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    if source not in ("auto", "tfds", "grouplens"):
        raise ValueError(f"source must be 'auto', 'tfds' or 'grouplens', got {source!r}")
    source = _resolve_source(variant, source, path)
    origin = str(Path(path or os.environ.get("MOVIELENS_DIR", ""))) if source == "grouplens" \
        else tfds_data_dir()
    if cache:
        frames = _read_cache(variant, source, origin)
        if frames is not None:
            return frames[kind]
    if source == "grouplens":
        if variant != "100k":
            raise ValueError("The GroupLens folder loader reads the ml-100k layout only; "
                             f"use source='tfds' for {variant!r}.")
        ratings, movies = load_grouplens(path)
    else:
        ratings, movies = _load_tfds(variant)
    _check_frames(variant, ratings, movies)
    frames = {"ratings": ratings, "movies": movies}
    if cache:
        _write_cache(frames, variant, source, origin)
    return frames[kind]


def _resolve_source(variant: str, source: str, path: str | None) -> str:
    if source != "auto":
        return source
    if _tfds_prepared(variant):
        return "tfds"
    if variant == "100k" and (path or os.environ.get("MOVIELENS_DIR")):
        return "grouplens"
    return "tfds"  # not prepared: tfds will try to download, with a clear error offline


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


def _load_tfds(variant: str) -> tuple[pd.DataFrame, pd.DataFrame]:
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
        ratings = _dataset_to_frame(ratings_ds, tf)
        movies = _dataset_to_frame(movies_ds, tf)
    except MovieLensDataError:
        raise
    except Exception as error:  # tfds/TF raise many types: download, parse, file errors
        raise MovieLensDataError(_tfds_failure_message(variant, error)) from None
    for column in ("user_id", "movie_id"):
        if column in ratings:
            ratings[column] = ratings[column].astype(str)
    ratings["user_gender"] = np.where(ratings["user_gender"].astype(bool), "M", "F") \
        if "user_gender" in ratings else None
    for column in ("bucketized_user_age", "raw_user_age"):
        if column in ratings:
            ratings[column] = ratings[column].astype("int64")
    ratings = ratings[[c for c in _RATING_COLUMNS if c in ratings]]
    _check_rating_values(ratings, f"the tfds split movielens/{variant}-ratings in "
                         f"{tfds_data_dir()}", _stars(variant), unit="row", first=0)
    movies = movies[["movie_id", "movie_title", "movie_genres"]]
    return ratings, _sort_movies(movies)


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


def _dataset_to_frame(dataset, tf) -> pd.DataFrame:
    """Read a whole tfds split in large ragged batches (``movie_genres`` varies in length)."""
    chunks: dict[str, list[np.ndarray]] = {}
    for batch in dataset.ragged_batch(200_000):
        for name, value in batch.items():
            chunks.setdefault(name, []).append(_to_numpy_column(value, tf))
    if not chunks:
        raise MovieLensDataError("The tfds MovieLens split is empty: the prepared folder at "
                                 f"{tfds_data_dir()} is corrupt. Re-prepare it.")
    return pd.DataFrame({name: np.concatenate(parts) for name, parts in chunks.items()})


def _to_numpy_column(value, tf) -> np.ndarray:
    if isinstance(value, tf.RaggedTensor):
        rows = [np.asarray(row, dtype="int64") for row in value.to_list()]
        column = np.empty(len(rows), dtype=object)
        column[:] = rows
        return column
    array = value.numpy()
    if array.dtype == object:  # tf.string arrives as bytes
        return np.array([item.decode("utf-8") for item in array], dtype=object)
    return array


def _tfds_failure_message(variant: str, error: Exception) -> str:
    first_line = (str(error).strip().splitlines() or [type(error).__name__])[0][:300]
    return (
        f"Could not load MovieLens {variant} with tensorflow-datasets from {tfds_data_dir()} "
        f"({type(error).__name__}: {first_line}).\n"
        "Without internet access, either set TFDS_DATA_DIR to a prepared tensorflow_datasets "
        "folder (one holding movielens/<variant>-ratings and -movies), or set MOVIELENS_DIR to "
        "an extracted GroupLens ml-100k folder (u.data, u.item, u.user). If the folder exists, "
        "it may be corrupt: prepare it again."
    )


def _read_grouplens_items(path: Path) -> pd.DataFrame:
    items = pd.read_csv(path, sep="|", header=None, encoding="latin-1", dtype=str)
    if items.shape[1] != 5 + len(_GROUPLENS_GENRE_LABELS):
        raise ValueError(f"u.item has {items.shape[1]} columns, expected 24")
    flags = items.iloc[:, 5:].astype(int).to_numpy()
    labels = np.asarray(_GROUPLENS_GENRE_LABELS)
    movies = pd.DataFrame({
        "movie_id": items[0],
        "movie_title": items[1],
        "movie_genres": [np.sort(labels[row.astype(bool)]) for row in flags],
    })
    return _sort_movies(movies)


def _read_grouplens_users(path: Path) -> pd.DataFrame:
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


def _sort_movies(movies: pd.DataFrame) -> pd.DataFrame:
    order = np.argsort(movies["movie_id"].astype("int64").to_numpy(), kind="stable")
    return movies.iloc[order].reset_index(drop=True)


def _stars(variant: str) -> tuple:
    return WHOLE_STARS if variant in _WHOLE_STAR_VARIANTS else HALF_STARS


def _check_rating_values(ratings: pd.DataFrame, where: str, stars, unit: str = "line",
                         first: int = 1) -> None:
    """Refuse a missing rating, stars off the scale and a (user, movie) pair rated twice, naming
    the offending lines (numbered from ``first``): bad data stops here, not as a wrong metric."""
    repeats = ratings.duplicated(["user_id", "movie_id"]).to_numpy()  # all copies but the first
    problems = {**invalid_rating_rows(ratings, stars), "a repeated (user, movie) pair": repeats}
    for what, bad in problems.items():
        if bad.any():
            numbers = np.flatnonzero(bad) + first
            shown = ", ".join(map(str, numbers[:10])) + (" …" if len(numbers) > 10 else "")
            raise MovieLensDataError(
                f"{where} has {what} on {len(numbers)} {unit}(s): {shown}. The data is corrupt "
                "or was edited: extract or prepare it again.")


def _check_frames(variant: str, ratings, movies) -> None:
    """Schema and sizes, of freshly loaded frames and of cache hits alike."""
    for kind, frame in (("ratings", ratings), ("movies", movies)):
        columns = _REQUIRED_COLUMNS[kind]
        if not isinstance(frame, pd.DataFrame) or not set(columns) <= set(frame.columns):
            raise MovieLensDataError(f"the {kind} table is not a DataFrame with the columns "
                                     f"{', '.join(columns)}")
    _check_counts(variant, ratings, movies)


def _check_counts(variant: str, ratings: pd.DataFrame, movies: pd.DataFrame) -> None:
    expected = EXPECTED_COUNTS.get(variant)
    if expected is None:
        return
    found = {"ratings": len(ratings), "users": ratings["user_id"].nunique(),
             "movies": len(movies)}
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


def _cache_path(variant: str, source: str, origin: str, fingerprint: str) -> Path:
    folder_key = hashlib.sha1(str(Path(origin).resolve()).encode()).hexdigest()[:10]
    return _cache_dir() / f"{variant}-{source}-{folder_key}-{fingerprint[:16]}.pkl"


def _source_fingerprint(variant: str, source: str, origin: str) -> str:
    """SHA-256 of the source files' names and contents (40 ms for the tfds 100k folder): an
    entry is reused only for byte-identical data, whatever happened to sizes and times."""
    root = Path(origin)
    if source == "grouplens":
        files = [root / name for name in _GROUPLENS_FILES]
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


def _read_cache(variant: str, source: str, origin: str) -> dict | None:
    """The cached frames of the current source files, or None. An entry that is unreadable,
    altered, or wrong in schema or counts is deleted with a warning naming it (the caller then
    rebuilds it), instead of being returned or failing on every later call."""
    fingerprint = _source_fingerprint(variant, source, origin)
    path = _cache_path(variant, source, origin, fingerprint)
    if not path.is_file():
        return None
    try:
        header, _, payload = path.read_bytes().partition(b"\n")
        if header != _cache_header(fingerprint, payload):
            raise MovieLensDataError("truncated, altered or not written by this version")
        frames = pickle.loads(payload)
        _check_frames(variant, frames["ratings"], frames["movies"])
        return frames
    except Exception as error:  # whatever is wrong with an entry, rebuilding it is the cure
        reason = f"{type(error).__name__}: {error}".splitlines()[0]
        warnings.warn(f"Discarding the bad MovieLens cache file {path} ({reason}); reloading "
                      "from the source.", stacklevel=4)
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
        return None


def _write_cache(frames: dict, variant: str, source: str, origin: str) -> None:
    # Fingerprinted after loading: tfds may just have downloaded the files.
    fingerprint = _source_fingerprint(variant, source, origin)
    path = _cache_path(variant, source, origin, fingerprint)
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
