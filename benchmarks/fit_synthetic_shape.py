"""Measure the ML-100k shape constants of benchmarks/synthetic.py (prints them).

    TFDS_DATA_DIR=… .venv/bin/python benchmarks/fit_synthetic_shape.py

Every constant at the top of synthetic.py comes from this script's output: the fits of ratings
per user and per movie, the star, genre, decade and demographic shares, the rating-time model,
and the long-tail statistics (Gini, top-10% share) that tests/test_synthetic.py compares against.
It also checks the generator at ML-100k's size against those statistics.
"""
from __future__ import annotations

import re

import numpy as np
import scipy.optimize
import scipy.stats

import movierec_utils  # noqa: F401  (before TensorFlow)
from benchmarks import synthetic
from movierec_utils import data


def fit_user_activity(per_user: np.ndarray) -> None:
    extra = per_user - per_user.min() + 0.5  # +0.5: a continuity offset for users at the minimum
    print(f"min ratings per user: {per_user.min()}")
    for distribution in (scipy.stats.gamma, scipy.stats.lognorm, scipy.stats.weibull_min):
        params = distribution.fit(extra, floc=0)
        ks = scipy.stats.kstest(extra, distribution.name, args=params).statistic
        print(f"  ratings per user - {per_user.min()}: {distribution.name:<11} MLE shape "
              f"{params[0]:.3f}, KS {ks:.3f}")


def fit_movie_popularity(per_movie: np.ndarray, ratings) -> None:
    excess = per_movie - 1

    def negative_log_likelihood(log_params):
        shape, mean = np.exp(log_params)
        return -scipy.stats.nbinom.logpmf(excess, shape, shape / (shape + mean)).sum()

    fitted = scipy.optimize.minimize(negative_log_likelihood, [0.0, np.log(excess.mean())],
                                     method="Nelder-Mead")
    print(f"  ratings per movie - 1: negative binomial MLE, Gamma shape "
          f"{np.exp(fitted.x[0]):.3f}")
    # Drawing without repeats flattens the realised counts, so the shape the generator uses is
    # the one whose realised Gini at ML-100k's size matches (mean of 4 seeds).
    target = synthetic.gini(per_movie)
    n_users, n_movies = ratings["user_id"].nunique(), ratings["movie_id"].nunique()
    saved, best = synthetic.MOVIE_POPULARITY_SHAPE, None
    try:
        for shape in np.arange(0.30, 0.505, 0.01):
            synthetic.MOVIE_POPULARITY_SHAPE = float(shape)
            ginis = [synthetic.activity_shape(synthetic.synthetic_ratings(
                n_users, n_movies, len(ratings), seed=seed, compact=True))["movie_gini"]
                for seed in range(4)]
            if best is None or abs(np.mean(ginis) - target) < best[1]:
                best = (shape, abs(np.mean(ginis) - target), np.mean(ginis))
    finally:
        synthetic.MOVIE_POPULARITY_SHAPE = saved
    print(f"  calibrated popularity shape (realised movie Gini {best[2]:.4f} vs {target:.4f}): "
          f"{best[0]:.2f}")


def rounded(values, digits: int = 6):
    """Plain floats (numpy scalars print as np.float64(…)) for copying into synthetic.py."""
    if hasattr(values, "items"):
        return {int(key): round(float(value), digits) for key, value in values.items()}
    return tuple(round(float(value), digits) for value in values)


def shares(ratings, movies) -> None:
    stars = ratings["user_rating"].value_counts(normalize=True).sort_index()
    print("STAR_SHARES", rounded(stars.to_numpy(), 5))
    n_genres = movies["movie_genres"].map(len).value_counts(normalize=True).sort_index()
    print("GENRE_COUNT_SHARES", rounded(n_genres))
    labels = np.bincount(np.concatenate(movies["movie_genres"].to_list()),
                         minlength=len(data.GENRES)) / len(movies)
    print("GENRE_SHARES", rounded(labels))
    years = movies["movie_title"].map(
        lambda title: int(m.group(1)) if (m := re.search(r"\((\d{4})\)\s*$", title)) else None)
    years = years.dropna()
    print(f"years {years.min():.0f}-{years.max():.0f}; DECADE_SHARES",
          rounded((years // 10 * 10).value_counts(normalize=True).sort_index()))
    users = ratings.drop_duplicates("user_id")
    print("MALE_SHARE", round(float((users["user_gender"] == "M").mean()), 6))
    print("AGE_BUCKET_SHARES",
          rounded(users["bucketized_user_age"].value_counts(normalize=True).sort_index()),
          f"raw ages {users['raw_user_age'].min()}-{users['raw_user_age'].max()}")
    print("OCCUPATIONS", users.groupby(["user_occupation_text", "user_occupation_label"])
          .size().to_dict())


def rating_times(ratings) -> None:
    times = ratings.groupby("user_id")["timestamp"].agg(["min", "max"])
    span = (times["max"] - times["min"]).to_numpy()
    single = span < 86_400
    print(f"TIME_RANGE ({ratings['timestamp'].min()}, {ratings['timestamp'].max()}); "
          f"SINGLE_SESSION_SHARE {single.mean():.3f}")
    seconds = np.log(np.maximum(span[single], 1))
    days = np.log(span[~single] / 86_400)
    print(f"SESSION_SECONDS_LOG ({seconds.mean():.2f}, {seconds.std():.2f}); "
          f"LONG_SPAN_DAYS_LOG ({days.mean():.2f}, {days.std():.2f})")


def main() -> None:
    ratings, movies = data.load_ratings("100k"), data.load_movies("100k")
    per_user = ratings.groupby("user_id").size().to_numpy()
    per_movie = ratings.groupby("movie_id").size().to_numpy()
    fit_user_activity(per_user)
    fit_movie_popularity(per_movie, ratings)
    shares(ratings, movies)
    rating_times(ratings)
    real = synthetic.activity_shape(ratings)
    print("ML100K_SHAPE", {key: round(value, 4) for key, value in real.items()})
    generated = [synthetic.activity_shape(synthetic.synthetic_ratings(
        943, 1682, 100_000, seed=seed, compact=True)) for seed in range(5)]
    print("synthetic_ratings(943, 1682, 100_000), seeds 0-4 (mean, min, max):")
    for key in real:
        values = [shape[key] for shape in generated]
        print(f"  {key:<18} {np.mean(values):.4f} [{min(values):.4f}, {max(values):.4f}]  "
              f"ML-100k {real[key]:.4f}")


if __name__ == "__main__":
    main()
