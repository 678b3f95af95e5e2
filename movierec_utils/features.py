"""The features the deep model of notebook 03 reads, as integer and float tables.

Movies: release year and cleaned title words from the MovieLens title, multi-hot genres, a
5-year bucket of the year. Users: age bucket, gender, occupation and the 2-digit zip prefix, each
coded by its position in a vocabulary seen in training (0 = unknown). Notebook 03 shows what each
function produces; its model (``movierec_utils.models.dnn``) reads the tables.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from movierec_utils.data import GENRES
from movierec_utils.interactions import IdIndex
from movierec_utils.tfenv import tf

TITLE_TOKENS = 12  # a title is cut or padded to this many tokens
YEAR_BUCKETS = np.arange(1920, 2000, 5)  # 5-year buckets; earlier films share the first
USER_COLUMNS = ("user_id", "bucketized_user_age", "user_gender", "user_occupation_label",
                "user_zip_code")
DEMOGRAPHIC_COLUMNS = {"age": "bucketized_user_age", "gender": "user_gender",
                       "occupation": "user_occupation_label", "zip": "zip_prefix"}


def release_year(title: str) -> float:
    """The year in a MovieLens title such as ``"Toy Story (1995)"``; NaN when absent."""
    match = re.search(r"\((\d{4})\)\s*$", str(title).strip())
    return float(match.group(1)) if match else np.nan


def clean_title(title: str) -> str:
    """Title text without the year and with MovieLens' trailing articles moved back."""
    text = re.sub(r"\s*\(\d{4}\)\s*$", "", str(title))
    text = re.sub(r"^(.*), (The|A|An|Les|La|Le|Il|Das|Der|Die|El)$", r"\2 \1", text)
    return text.lower()


def title_vocabulary(titles, size: int = 5000) -> list[str]:
    """Title tokens, most frequent first, ties alphabetical.

    Counted here rather than with ``TextVectorization.adapt()``, whose tf.data pipeline logs C++
    warnings; tokens follow TextVectorization's standard lowercase/punctuation split. The explicit
    tie-break matters: the order of equal counts differs between pandas versions, and another
    token order gives another embedding to every token, hence other results.
    """
    words = pd.Series(" ".join(titles).split()).str.replace(r"[^\w']", "", regex=True)
    counts = words[words != ""].value_counts()
    return sorted(counts.index, key=lambda word: (-counts[word], word))[:size]


def title_vectorizer(titles):
    """A ``TextVectorization`` layer: clean title → ``TITLE_TOKENS`` token ids (0 = padding,
    1 = a word outside the vocabulary, 2… = the vocabulary of ``titles``)."""
    return tf.keras.layers.TextVectorization(vocabulary=title_vocabulary(titles),
                                             output_sequence_length=TITLE_TOKENS)


def genre_and_year_columns(movies: pd.DataFrame, missing_year: float) -> dict[str, np.ndarray]:
    """Multi-hot genres, 5-year bucket and scaled release year, (year − 1990) / 10."""
    genres = np.zeros((len(movies), len(GENRES)), dtype="float32")
    for row, labels in enumerate(movies["movie_genres"]):
        genres[row, np.asarray(labels, dtype=int)] = 1.0
    years = movies["movie_title"].map(release_year).fillna(missing_year)
    return {"genres": genres,
            "year_bucket": (np.searchsorted(YEAR_BUCKETS, years) + 1).astype("int32"),
            "year": ((years - 1990.0) / 10.0).to_numpy("float32")[:, None]}


def movie_feature_table(movies: pd.DataFrame, vectorizer) -> dict[str, np.ndarray]:
    """Everything the movie tower reads, one row per movie of ``movies`` (the catalogue in the
    model's order): id code (row + 1; 0 = unknown), genres, year bucket, scaled year (a missing
    year is the catalogue's median), title token ids."""
    years = movies["movie_title"].map(release_year)
    titles = movies["movie_title"].map(clean_title).to_numpy(str)
    return {
        "id": np.arange(1, len(movies) + 1, dtype="int32"),
        **genre_and_year_columns(movies, missing_year=years.median()),
        "title": vectorizer(titles).numpy().astype("int32"),
    }


def zip_prefix(zip_codes: pd.Series) -> pd.Series:
    """The region feature: the first two characters of a zip code."""
    return zip_codes.astype(str).str[:2]


def user_feature_frame(ratings: pd.DataFrame) -> pd.DataFrame:
    """One row per user with the demographic columns the user tower reads."""
    missing = [column for column in USER_COLUMNS if column not in ratings]
    if missing:
        raise ValueError(f"user features need the columns {missing}: load the ratings with "
                         "movierec_utils.data.load_ratings() (100k or 1m)")
    users = ratings[list(USER_COLUMNS)].drop_duplicates("user_id").copy()
    users["zip_prefix"] = zip_prefix(users["user_zip_code"])
    return users.set_index("user_id")


def user_vocabularies(users: pd.DataFrame) -> dict[str, pd.Index]:
    """The values of each demographic feature seen in training, sorted; code = position + 1."""
    return {feature: pd.Index(sorted(users[column].astype(str).unique()))
            for feature, column in DEMOGRAPHIC_COLUMNS.items()}


def encode_users(users: pd.DataFrame, user_index: IdIndex,
                 vocabularies: dict[str, pd.Index]) -> dict[str, np.ndarray]:
    """Integer codes per feature for a frame indexed by user id; 0 = unknown (an id or a value
    not seen in training). The zip prefix is derived when the frame has only the zip code."""
    if "zip_prefix" not in users:
        users = users.assign(zip_prefix=zip_prefix(users["user_zip_code"]))
    codes = {"id": user_index.codes(np.asarray(users.index, dtype=object), strict=False) + 1}
    for feature, column in DEMOGRAPHIC_COLUMNS.items():
        codes[feature] = vocabularies[feature].get_indexer(users[column].astype(str)) + 1
    return {name: value.astype("int32") for name, value in codes.items()}


def movie_inputs(train: pd.DataFrame, movie_ids) -> tuple[dict[str, np.ndarray], int]:
    """The movie tower's table for the catalogue ``movie_ids`` (in the model's order), read from
    the movies' rows in ``train``, and the size of its title vocabulary."""
    movies = train.drop_duplicates("movie_id").set_index("movie_id").reindex(movie_ids)
    vectorizer = title_vectorizer(movies["movie_title"].map(clean_title).to_numpy(str))
    return movie_feature_table(movies, vectorizer), vectorizer.vocabulary_size()


def unseen_movie_table(table: dict[str, np.ndarray], movies: pd.DataFrame) -> dict[str, np.ndarray]:
    """Rows of the movie tower's ``table`` for ``movies`` absent from training: their genres and
    year (a missing year counts as 1995), id and title unknown (code 0)."""
    rows = {name: np.zeros_like(values[:1]).repeat(len(movies), axis=0)
            for name, values in table.items()}
    return {**rows, **genre_and_year_columns(movies, missing_year=1995.0)}
