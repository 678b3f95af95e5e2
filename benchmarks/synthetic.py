"""Synthetic, MovieLens-*shaped* ratings — invented data, **not** MovieLens.

:func:`synthetic_ratings` makes a ratings table with the columns and dtypes of
``data.load_ratings("100k")`` at any size, for scale tests (25M ratings in under a minute and
well under 3 GB). Nothing in it comes from MovieLens rows: users, movies and ratings are drawn
from a few distributions whose parameters were *measured* on ML-100k (the constants below, by
``benchmarks/fit_synthetic_shape.py``). Titles say so: ``"Synthetic movie 17 (1994)"``.

What is matched (at any size, as shapes relative to the mean):

* ratings per user: every user has at least ``min_user_ratings`` (20, as in MovieLens); the rest
  is shared out in proportion to Gamma(``USER_ACTIVITY_SHAPE``) weights, so the total is exact;
* ratings per movie: every movie has at least one rating (as in the MovieLens ratings files);
  the rest is drawn by popularity, Gamma(``MOVIE_POPULARITY_SHAPE``) weights;
* no (user, movie) pair twice; stars 1-5 with ML-100k's shares (``STAR_SHARES``).

Plausibly sampled, with ML-100k's marginal shares where stated: genres (count per movie and
genre frequencies), release decade, gender, age bucket, occupation, zip code (uniform, 5
digits), rating times (each user rates in one session or over weeks, within ML-100k's seven
months). Stars come from ``user bias + movie quality + noise`` (quality mildly rising with
popularity) cut at ML-100k's star quantiles: plausible, not fitted beyond the star shares.

``compact=True`` gives the same columns and values in compact dtypes — categoricals for the
string columns (ids, titles, texts: each string stored once), ``int8`` for ages and occupation
labels, and ``movie_genres`` as a dictionary-encoded Arrow list column (each genre list stored
once) — for tens of millions of rows. :func:`to_loader_dtypes` turns such a frame back into the
loader's dtypes.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

# --------------------------------------------------------------------------- measured shapes
# All measured on MovieLens 100k (tfds) by benchmarks/fit_synthetic_shape.py, which prints them.
# Ratings per user minus 20 (+0.5 continuity offset): Gamma fitted by maximum likelihood
# (scipy.stats.gamma.fit, loc=0): shape 0.687, KS distance 0.033 (lognormal: 0.078).
USER_ACTIVITY_SHAPE = 0.687
# Movie popularity weights: Gamma. A negative binomial (Gamma-Poisson) fitted by maximum
# likelihood to ratings per movie minus 1 gives shape 0.506, but drawing without repeats
# flattens the realised counts (heavy users run out of popular movies), so the shape used is
# the one whose realised Gini at ML-100k's size (943 users, 1,682 movies, 100k ratings; mean of
# 4 seeds) matches ML-100k's 0.629: 0.38 (realised 0.628), on a 0.30-0.50 grid of step 0.01.
MOVIE_POPULARITY_SHAPE = 0.38
MIN_USER_RATINGS = 20  # every ML-100k user has at least 20 ratings
# Share of 1..5 stars over all ratings.
STAR_SHARES = (0.06110, 0.11370, 0.27145, 0.34174, 0.21201)
# Share of movies with 1..6 genres.
GENRE_COUNT_SHARES = (0.495244, 0.338288, 0.127824, 0.030321, 0.006540, 0.001784)
# Share of movies carrying each tfds genre label (data.GENRES order; IMAX and
# "(no genres listed)" do not occur in 100k).
GENRE_SHARES = (0.149227, 0.080262, 0.024970, 0.072533, 0.300238, 0.064804, 0.029727,
                0.431034, 0.013080, 0.014269, 0.054697, 0.0, 0.033294, 0.036266, 0.146849,
                0.060048, 0.149227, 0.001189, 0.042212, 0.016052, 0.0)
# Share of movies by release decade 1920s..1990s (years run 1922-1998).
DECADE_SHARES = (0.001190, 0.017262, 0.026786, 0.033929, 0.027381, 0.032738, 0.065476,
                 0.795238)
LAST_YEAR = 1998
# Users: share of men; share per age bucket (lower bounds AGE_BUCKETS; raw ages 7-73).
MALE_SHARE = 0.710498
AGE_BUCKETS = (1, 18, 25, 35, 45, 50, 56)
AGE_BUCKET_SHARES = (0.038176, 0.209968, 0.328738, 0.205726, 0.084836, 0.077413, 0.055143)
AGE_RANGE = (7, 73)
# Users per occupation text, and the tfds label of each text (as in ML-100k).
OCCUPATIONS = {  # text: (users in ML-100k, tfds label)
    "administrator": (79, 2), "artist": (28, 1), "doctor": (7, 4), "educator": (95, 0),
    "engineer": (67, 18), "entertainment": (18, 5), "executive": (32, 6),
    "healthcare": (16, 4), "homemaker": (7, 8), "lawyer": (12, 9), "librarian": (51, 10),
    "marketing": (26, 14), "none": (9, 11), "other": (105, 11), "programmer": (66, 12),
    "retired": (14, 13), "salesman": (12, 14), "scientist": (31, 15), "student": (196, 17),
    "technician": (27, 18), "writer": (45, 21),
}
# Rating times: ML-100k's first and last timestamp; 67.7% of users rate within one day
# (session length: lognormal of seconds, mu 7.47, sigma 1.21), the others over a lognormal
# number of days (mu 3.48, sigma 1.56), capped by the data's time span.
TIME_RANGE = (874_724_710, 893_286_638)
SINGLE_SESSION_SHARE = 0.677
SESSION_SECONDS_LOG = (7.47, 1.21)
LONG_SPAN_DAYS_LOG = (3.48, 1.56)
# Long-tail statistics of ML-100k (see activity_shape): Gini coefficient and share of all
# ratings held by the most active 10% of users / most rated 10% of movies.
ML100K_SHAPE = {"user_gini": 0.4719, "user_top10_share": 0.3219,
                "movie_gini": 0.6290, "movie_top10_share": 0.4287}

COLUMNS = ("user_id", "movie_id", "movie_title", "user_rating", "timestamp", "movie_genres",
           "bucketized_user_age", "raw_user_age", "user_gender", "user_occupation_label",
           "user_occupation_text", "user_zip_code")
_MAX_ROUNDS = 60  # rejection rounds when drawing distinct movies; leftovers are drawn exactly


def synthetic_ratings(n_users: int, n_movies: int, n_ratings: int, seed: int = 0,
                      compact: bool = False,
                      min_user_ratings: int = MIN_USER_RATINGS) -> pd.DataFrame:
    """A synthetic (invented, not MovieLens) ratings table with MovieLens' schema and shape.

    ``n_ratings`` rows over users ``"1"..str(n_users)`` and movies ``"1"..str(n_movies)``; every
    user has at least ``min_user_ratings`` ratings, every movie at least one, no pair occurs
    twice. The same arguments give the same frame. ``compact=True``: compact dtypes (see the
    module docstring); otherwise exactly the dtypes of ``data.load_ratings("100k")``.
    """
    _check_sizes(n_users, n_movies, n_ratings, min_user_ratings)
    rng = np.random.default_rng(seed)
    counts = _user_counts(rng, n_users, n_movies, n_ratings, min_user_ratings)
    popularity = rng.gamma(MOVIE_POPULARITY_SHAPE, size=n_movies)
    keys = _distinct_pairs(rng, counts, popularity)             # sorted user * n_movies + movie
    keys = keys[rng.permutation(len(keys))]                     # rows in random order, like tfds
    user = (keys // n_movies).astype(np.int32)
    movie = (keys % n_movies).astype(np.int32)
    del keys
    users = _users(rng, n_users)
    movies = _movies(rng, n_movies)
    stars = _stars(rng, user, movie, n_users, popularity)
    times = _timestamps(rng, user, n_users)
    frame = pd.DataFrame({
        "user_id": pd.Categorical.from_codes(user, categories=_id_index(n_users)),
        "movie_id": pd.Categorical.from_codes(movie, categories=_id_index(n_movies)),
        "movie_title": pd.Categorical.from_codes(movie, categories=movies["title"]),
        "user_rating": stars,
        "timestamp": times,
        "movie_genres": _genre_column(movies["genre_masks"], movie),
        "bucketized_user_age": users["bucket"][user],
        "raw_user_age": users["age"][user],
        "user_gender": pd.Categorical.from_codes(users["gender"][user],
                                                 categories=pd.Index(["F", "M"], dtype="str")),
        "user_occupation_label": users["occupation_label"][user],
        "user_occupation_text": pd.Categorical.from_codes(
            users["occupation"][user], categories=pd.Index(list(OCCUPATIONS), dtype="str")),
        "user_zip_code": pd.Categorical.from_codes(users["zip_code"][user],
                                                   categories=users["zip_categories"]),
    })
    return frame if compact else to_loader_dtypes(frame)


def to_loader_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of a (compact) ratings frame in the dtypes of ``data.load_ratings``: ``str``
    columns, ``int64`` integers, ``float32`` stars and ``movie_genres`` as an object column of
    ``int64`` arrays. Rows with the same genre list share one read-only array."""
    out = {}
    for name in frame.columns:
        column = frame[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            categories = column.cat.categories.astype("str").array
            out[name] = pd.Series(categories.take(column.cat.codes.to_numpy()),
                                  index=frame.index, name=name)
        elif name == "movie_genres" and isinstance(column.dtype, pd.ArrowDtype):
            out[name] = pd.Series(_genre_objects(column), index=frame.index, name=name)
        elif name == "user_rating":
            out[name] = column.astype("float32")
        elif pd.api.types.is_integer_dtype(column.dtype):
            out[name] = column.astype("int64")
        else:
            out[name] = column
    return pd.DataFrame(out, index=frame.index)


def activity_shape(ratings: pd.DataFrame) -> dict:
    """Long-tail statistics of a ratings table: the Gini coefficient of ratings per user and per
    movie, and the share of all ratings held by the top 10% of users / movies."""
    shape = {}
    for kind, column in (("user", "user_id"), ("movie", "movie_id")):
        counts = ratings.groupby(column, observed=True).size().to_numpy()
        shape[f"{kind}_gini"] = gini(counts)
        shape[f"{kind}_top10_share"] = top_share(counts, 0.10)
    return shape


def gini(counts) -> float:
    """Gini coefficient of non-negative counts (0 = all equal, → 1 = one holds everything)."""
    values = np.sort(np.asarray(counts, dtype=float))
    n = len(values)
    ranks = np.arange(1, n + 1)
    return float((2 * ranks - n - 1) @ values / (n * values.sum()))


def top_share(counts, fraction: float) -> float:
    """Share of the total held by the largest ``fraction`` of the counts."""
    values = np.sort(np.asarray(counts, dtype=float))[::-1]
    return float(values[:int(np.ceil(fraction * len(values)))].sum() / values.sum())


# --------------------------------------------------------------------------- internals
def _check_sizes(n_users: int, n_movies: int, n_ratings: int, min_user_ratings: int) -> None:
    if n_users < 1 or n_movies < 1:
        raise ValueError(f"need at least one user and one movie, got {n_users} and {n_movies}")
    if n_movies < min_user_ratings:
        raise ValueError(f"every user rates at least {min_user_ratings} movies, so n_movies must "
                         f"be at least {min_user_ratings}, got {n_movies}")
    low = max(n_users * min_user_ratings, n_movies)
    high = n_users * n_movies
    if not low <= n_ratings <= high:
        raise ValueError(
            f"n_ratings must be between {low:,} (≥ {min_user_ratings} per user and ≥ 1 per "
            f"movie) and {high:,} (each user rates each movie at most once), got {n_ratings:,}")


def _user_counts(rng, n_users: int, n_movies: int, n_ratings: int, minimum: int) -> np.ndarray:
    """Ratings per user: ``minimum`` each, the rest in proportion to Gamma weights (largest
    remainders rounded up), no user above ``n_movies``."""
    weights = rng.gamma(USER_ACTIVITY_SHAPE, size=n_users)
    room = n_movies - minimum
    extra = np.zeros(n_users, dtype=np.int64)
    free = np.ones(n_users, dtype=bool)
    remaining = n_ratings - minimum * n_users
    for _ in range(n_users):  # each pass caps at least one more user, or ends
        free_weights = np.where(free, weights, 0.0)
        share = remaining * free_weights / free_weights.sum()
        over = free & (share >= room)
        if not over.any():
            break
        extra[over] = room
        remaining -= room * int(over.sum())
        free &= ~over
        if not free.any() or remaining == 0:  # everyone capped, or nothing left to share
            return minimum + extra
    whole = np.floor(share).astype(np.int64)
    left = remaining - int(whole[free].sum())
    order = np.argsort(-(share - whole) * free, kind="stable")
    whole[order[:left]] += 1
    extra[free] = whole[free]
    return minimum + extra


def _distinct_pairs(rng, counts: np.ndarray, popularity: np.ndarray) -> np.ndarray:
    """Sorted keys ``user * n_movies + movie``: ``counts[user]`` distinct movies per user, every
    movie at least once, the rest drawn in proportion to ``popularity`` without repeats."""
    n_users, n_movies = len(counts), len(popularity)
    total = int(counts.sum())
    # Every movie once: n_movies distinct rating slots (a slot belongs to its user) get them.
    slots = rng.choice(total, size=n_movies, replace=False)
    slot_users = np.searchsorted(np.cumsum(counts), slots, side="right")
    keys = np.sort(slot_users.astype(np.int64) * n_movies + rng.permutation(n_movies))
    deficit = counts - np.bincount(slot_users, minlength=n_users)
    cumulative = np.cumsum(popularity)
    cumulative /= cumulative[-1]
    user_ids = np.arange(n_users, dtype=np.int64)
    for _ in range(_MAX_ROUNDS):  # draw what is missing, drop repeats, until nothing is missing
        needed = int(deficit.sum())
        if needed == 0:
            break
        movies = np.searchsorted(cumulative, rng.random(needed), side="right")
        candidates = _sorted_unique(np.repeat(user_ids, deficit) * n_movies
                                    + np.minimum(movies, n_movies - 1))
        position = np.searchsorted(keys, candidates)
        known = keys[np.minimum(position, len(keys) - 1)] == candidates
        keys = np.insert(keys, position[~known], candidates[~known])
        deficit -= np.bincount(candidates[~known] // n_movies, minlength=n_users)
    for user in np.flatnonzero(deficit):  # rare: users who hold most of the popular movies
        start, stop = np.searchsorted(keys, [user * n_movies, (user + 1) * n_movies])
        weights = popularity.copy()
        weights[keys[start:stop] - user * n_movies] = 0.0
        available = np.flatnonzero(weights)
        gumbel = np.log(weights[available]) - np.log(-np.log(rng.random(len(available))))
        chosen = available[np.argsort(-gumbel)[:deficit[user]]]
        keys = np.insert(keys, np.searchsorted(keys, user * n_movies + np.sort(chosen)),
                         user * n_movies + np.sort(chosen))
    return keys


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique`` by sorting in place: numpy 2.3+'s hash-based unique is ~10x slower on
    tens of millions of int64 keys."""
    values.sort()
    keep = np.empty(len(values), dtype=bool)
    keep[:1] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def _users(rng, n_users: int) -> dict:
    bucket_code = rng.choice(len(AGE_BUCKETS), size=n_users, p=_normalised(AGE_BUCKET_SHARES))
    lower = np.maximum(np.asarray(AGE_BUCKETS)[bucket_code], AGE_RANGE[0])
    upper = np.append(np.asarray(AGE_BUCKETS[1:]) - 1, AGE_RANGE[1])[bucket_code]
    counts = np.array([users for users, _ in OCCUPATIONS.values()], dtype=float)
    occupation = rng.choice(len(OCCUPATIONS), size=n_users, p=counts / counts.sum())
    labels = np.array([label for _, label in OCCUPATIONS.values()], dtype=np.int8)
    zips = rng.integers(0, 100_000, size=n_users)
    zip_values, zip_codes = np.unique(zips, return_inverse=True)
    return {
        "bucket": np.asarray(AGE_BUCKETS, dtype=np.int8)[bucket_code],
        "age": rng.integers(lower, upper + 1).astype(np.int8),
        "gender": (rng.random(n_users) < MALE_SHARE).astype(np.int8),
        "occupation": occupation.astype(np.int8),
        "occupation_label": labels[occupation],
        "zip_code": zip_codes.astype(np.int32),
        "zip_categories": pd.Index([f"{value:05d}" for value in zip_values], dtype="str"),
    }


def _movies(rng, n_movies: int) -> dict:
    decade = rng.choice(len(DECADE_SHARES), size=n_movies, p=_normalised(DECADE_SHARES))
    years = np.minimum(1920 + 10 * decade + rng.integers(0, 10, size=n_movies), LAST_YEAR)
    n_genres = 1 + rng.choice(len(GENRE_COUNT_SHARES), size=n_movies,
                              p=_normalised(GENRE_COUNT_SHARES))
    # n_genres distinct labels per movie, weighted by frequency: Gumbel top-k, one row a movie.
    shares = np.asarray(GENRE_SHARES)
    keys = np.where(shares > 0, np.log(np.where(shares > 0, shares, 1.0))
                    - np.log(-np.log(rng.random((n_movies, len(shares))))), -np.inf)
    rank = np.argsort(np.argsort(-keys, axis=1), axis=1)
    chosen = rank < n_genres[:, None]
    masks = (chosen * (1 << np.arange(len(shares)))).sum(axis=1).astype(np.int64)
    titles = [f"Synthetic movie {i} ({year})" for i, year in enumerate(years, start=1)]
    return {"title": pd.Index(titles, dtype="str"), "genre_masks": masks}


def _genre_column(masks: np.ndarray, movie: np.ndarray) -> pd.arrays.ArrowExtensionArray:
    """``movie_genres`` per rating as a dictionary-encoded Arrow list: one int32 index a row, each
    distinct genre list stored once."""
    import pyarrow as pa

    distinct, combo = np.unique(masks, return_inverse=True)
    bits = np.arange(len(GENRE_SHARES))
    lists = [bits[(mask >> bits) & 1 == 1].astype(np.int64) for mask in distinct]
    offsets = np.concatenate([[0], np.cumsum([len(labels) for labels in lists])]).astype(np.int32)
    dictionary = pa.ListArray.from_arrays(pa.array(offsets), pa.array(np.concatenate(lists)))
    indices = pa.array(combo.astype(np.int32)[movie])
    return pd.arrays.ArrowExtensionArray(pa.DictionaryArray.from_arrays(indices, dictionary))


def _genre_objects(column: pd.Series) -> np.ndarray:
    """An Arrow (dictionary-encoded or plain) list column → object array of int64 arrays."""
    import pyarrow as pa

    array = pa.chunked_array(column.array._pa_array).combine_chunks()
    if not pa.types.is_dictionary(array.type):
        array = array.dictionary_encode()
    lists = []
    for labels in array.dictionary.to_pylist():
        labels = np.asarray(labels, dtype=np.int64)
        labels.flags.writeable = False  # shared by every row with this genre list
        lists.append(labels)
    table = np.empty(len(lists), dtype=object)
    table[:] = lists
    return table[array.indices.to_numpy(zero_copy_only=False)]


def _stars(rng, user: np.ndarray, movie: np.ndarray, n_users: int,
           popularity: np.ndarray) -> np.ndarray:
    """1-5 stars: user bias + movie quality + noise, cut at ML-100k's star quantiles."""
    log_popularity = np.log(popularity)
    quality = (0.3 * (log_popularity - log_popularity.mean()) / log_popularity.std()
               + rng.normal(0.0, 0.5, size=len(popularity))).astype(np.float32)
    bias = rng.normal(0.0, 0.5, size=n_users).astype(np.float32)
    score = bias[user] + quality[movie] + rng.standard_normal(len(user), dtype=np.float32)
    cuts = np.quantile(score, np.cumsum(STAR_SHARES)[:-1] / sum(STAR_SHARES))
    return (1 + np.searchsorted(cuts, score)).astype(np.float32)


def _timestamps(rng, user: np.ndarray, n_users: int) -> np.ndarray:
    """Seconds since 1970: each user rates in one session or over a lognormal number of days,
    starting at a uniform time that keeps the span inside ``TIME_RANGE``."""
    first, last = TIME_RANGE
    session = rng.lognormal(*SESSION_SECONDS_LOG, size=n_users)
    weeks = rng.lognormal(*LONG_SPAN_DAYS_LOG, size=n_users) * 86_400
    span = np.minimum(np.where(rng.random(n_users) < SINGLE_SESSION_SHARE, session, weeks),
                      last - first)
    start = first + rng.random(n_users) * (last - first - span)
    offset = rng.random(len(user), dtype=np.float32) * span[user].astype(np.float32)
    return (start[user] + offset).astype(np.int64)


def _id_index(n: int) -> pd.Index:
    return pd.Index(np.arange(1, n + 1).astype(str), dtype="str")


def _normalised(shares) -> np.ndarray:
    shares = np.asarray(shares, dtype=float)
    return shares / shares.sum()
