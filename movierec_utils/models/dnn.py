"""A deep two-tower model with features and a rating head (the TFRS multitask pattern).

* **User tower:** user id, age bucket, gender, occupation and zip-code prefix, each embedded,
  concatenated and passed through a Dense stack.
* **Movie tower:** movie id, genres (multi-hot), release year (bucketed and scaled) and title
  text (``TextVectorization`` tokens, averaged token embeddings), then a Dense stack.
* **Two tasks, one loss:** ``retrieval_weight ×`` a full softmax over all movies (as the
  two-tower model, one row per user) ``+ rating_weight ×`` the mean squared error of a rating head
  (an MLP on the two tower outputs, ``tfrs.tasks.Ranking``) on the batch's rated pairs.
* **Cold start:** during training each user's id is replaced by the unknown-id token with
  probability ``id_dropout``, so the tower also learns to place a user from demographics alone;
  :meth:`DeepRecommender.recommend_new_users` scores users that were never seen in training.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from movierec_utils import evaluation
from movierec_utils.data import GENRES
from movierec_utils.interactions import interaction_matrix
from movierec_utils.models.base import Recommender
from movierec_utils.seeding import set_seed

USER_FEATURES = ("id", "age", "gender", "occupation", "zip")
MOVIE_FEATURES = ("id", "genres", "year", "title")
USER_COLUMNS = ("user_id", "bucketized_user_age", "user_gender", "user_occupation_label",
                "user_zip_code")
_YEAR_BUCKETS = np.arange(1920, 2000, 5)  # 5-year buckets; earlier films share the first
_TITLE_TOKENS = 12


def release_year(title: str) -> float:
    """The year in a MovieLens title such as ``"Toy Story (1995)"``; NaN when absent."""
    match = re.search(r"\((\d{4})\)\s*$", str(title).strip())
    return float(match.group(1)) if match else np.nan


def clean_title(title: str) -> str:
    """Title text without the year and with MovieLens' trailing articles moved back."""
    text = re.sub(r"\s*\(\d{4}\)\s*$", "", str(title))
    text = re.sub(r"^(.*), (The|A|An|Les|La|Le|Il|Das|Der|Die|El)$", r"\2 \1", text)
    return text.lower()


def zip_prefix(zip_codes: pd.Series) -> pd.Series:
    """The region feature: the first two characters of a zip code."""
    return zip_codes.astype(str).str[:2]


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


def user_feature_frame(ratings: pd.DataFrame) -> pd.DataFrame:
    """One row per user with the demographic columns the user tower reads."""
    missing = [column for column in USER_COLUMNS if column not in ratings]
    if missing:
        raise ValueError(f"user features need the columns {missing}: load the ratings with "
                         "movierec_utils.data.load_ratings() (100k or 1m)")
    users = ratings[list(USER_COLUMNS)].drop_duplicates("user_id").copy()
    users["zip_prefix"] = zip_prefix(users["user_zip_code"])
    return users.set_index("user_id")


class DeepRecommender(Recommender):
    """Feature-rich deep two-tower model with a joint rating head; defaults are notebook 03's."""

    name = "dnn"

    def __init__(self, user_features: tuple = USER_FEATURES, movie_features: tuple = MOVIE_FEATURES,
                 embedding_dim: int = 32, hidden_units: tuple = (), output_dim: int = 64,
                 dropout: float = 0.0, retrieval_weight: float = 1.0, rating_weight: float = 0.1,
                 id_dropout: float = 0.05, learning_rate: float = 0.005, l2: float = 0.05,
                 batch_size: int = 64, epochs: int = 100, patience: int = 5, seed: int = 42):
        super().__init__(seed)
        for name, given, allowed in (("user_features", user_features, USER_FEATURES),
                                     ("movie_features", movie_features, MOVIE_FEATURES)):
            unknown = set(given) - set(allowed)
            if unknown or not given:
                raise ValueError(f"{name} must be a non-empty subset of {allowed}, got {given}")
        self.user_features = tuple(user_features)
        self.movie_features = tuple(movie_features)
        self.embedding_dim = embedding_dim
        self.hidden_units = tuple(hidden_units)
        self.output_dim = output_dim
        self.dropout = dropout
        self.retrieval_weight = retrieval_weight
        self.rating_weight = rating_weight
        self.id_dropout = id_dropout
        self.learning_rate = learning_rate
        self.l2 = l2
        self.batch_size = batch_size
        self.epochs = epochs
        self.patience = patience

    # ------------------------------------------------------------------ features
    def _encode_users(self, users: pd.DataFrame) -> dict[str, np.ndarray]:
        """Integer codes per feature (0 = unknown) for a frame indexed by user id."""
        codes = {"id": self._user_id_codes(users.index)}
        for feature, column in (("age", "bucketized_user_age"), ("gender", "user_gender"),
                                ("occupation", "user_occupation_label"), ("zip", "zip_prefix")):
            vocabulary = self.vocabularies_[feature]
            codes[feature] = vocabulary.get_indexer(users[column].astype(str)) + 1
        return {name: value.astype("int32") for name, value in codes.items()}

    def _user_id_codes(self, user_ids) -> np.ndarray:
        return self.users_.codes(np.asarray(user_ids, dtype=object), strict=False) + 1

    def _fit_vocabularies(self, train: pd.DataFrame) -> None:
        users = user_feature_frame(train)
        self.vocabularies_ = {
            "age": pd.Index(sorted(users["bucketized_user_age"].astype(str).unique())),
            "gender": pd.Index(sorted(users["user_gender"].astype(str).unique())),
            "occupation": pd.Index(sorted(users["user_occupation_label"].astype(str).unique())),
            "zip": pd.Index(sorted(users["zip_prefix"].unique())),
        }
        self.user_table_ = self._encode_users(users.reindex(self.users_.ids))

    def _movie_table(self, train: pd.DataFrame, tf) -> dict[str, np.ndarray]:
        movies = train.drop_duplicates("movie_id").set_index("movie_id").reindex(self.items_.ids)
        years = movies["movie_title"].map(release_year)
        titles = movies["movie_title"].map(clean_title).to_numpy(str)
        vectorizer = tf.keras.layers.TextVectorization(vocabulary=title_vocabulary(titles),
                                                       output_sequence_length=_TITLE_TOKENS)
        self.title_vocabulary_size_ = vectorizer.vocabulary_size()
        return {
            "id": np.arange(1, len(movies) + 1, dtype="int32"),
            **_genre_and_year_columns(movies, missing_year=years.median()),
            "title": vectorizer(titles).numpy().astype("int32"),
        }

    # ------------------------------------------------------------------ training
    def _fit(self, train: pd.DataFrame, valid: pd.DataFrame | None) -> None:
        from movierec_utils.tfenv import tf

        set_seed(self.seed)
        self._fit_vocabularies(train)
        self.movie_table_ = self._movie_table(train, tf)
        ratings = interaction_matrix(train, self.users_, self.items_, values="user_rating")
        self.mean_rating_ = float(ratings.data.mean())
        self.model_ = _build_network(self, tf)
        self.model_.compile(optimizer=tf.keras.optimizers.Adam(self.learning_rate))
        dataset = (tf.data.Dataset.from_tensor_slices({
            **{f"user_{name}": values for name, values in self.user_table_.items()},
            "targets": self.seen_.toarray().astype("float32"),
            "ratings": ratings.toarray().astype("float32")})
            .shuffle(len(self.users_), seed=self.seed, reshuffle_each_iteration=True)
            .batch(self.batch_size).prefetch(tf.data.AUTOTUNE))
        self._train_epochs(
            run_epoch=lambda: self.model_.fit(dataset, epochs=1, verbose=0).history["loss"][-1],
            valid=valid, get_state=self.model_.get_weights, set_state=self.model_.set_weights)

    # ------------------------------------------------------------------ scoring
    def _clear_cache(self) -> None:
        self._cache = None

    def _embeddings(self):
        if getattr(self, "_cache", None) is None:
            users = self.model_.user_tower(self.user_table_, training=False).numpy()
            movies = self.model_.movie_tower(self.movie_table_, training=False).numpy()
            self._cache = (users, movies)
        return self._cache

    def _score(self, user_codes: np.ndarray) -> np.ndarray:
        users, movies = self._embeddings()
        return users[user_codes] @ movies.T

    def _new_user_embeddings(self, users: pd.DataFrame) -> np.ndarray:
        codes = self._encode_users(users)
        codes["id"] = np.zeros_like(codes["id"])  # never seen: the unknown-id token
        return self.model_.user_tower(codes, training=False).numpy()

    def recommend_new_users(self, users: pd.DataFrame, k: int = 10) -> pd.DataFrame:
        """Top-k for users described only by their features (cold start).

        ``users``: one row per user with ``user_id`` and the columns of :data:`USER_COLUMNS`
        (e.g. ``user_feature_frame(their_ratings)``, or a hand-made frame).
        """
        self._check_fitted()
        evaluation._check_k(k)
        frame = users if users.index.name == "user_id" else users.set_index("user_id")
        if "zip_prefix" not in frame:
            frame = frame.assign(zip_prefix=zip_prefix(frame["user_zip_code"]))
        scores = self._new_user_embeddings(frame) @ self._embeddings()[1].T
        items, values = evaluation.top_k(scores, k)
        return self._recommendation_frame(frame.index.to_numpy(dtype=object), items, values)

    def evaluate_new_users(self, ratings: pd.DataFrame, k: int = 10, per_user: bool = False):
        """Rank the catalogue for users unseen in training from their features alone; all of
        their ``ratings`` are relevant (nothing to mask: the model knows none of them)."""
        users = user_feature_frame(ratings)
        return self._evaluate_users_by_scores(
            ratings, lambda ids: self._new_user_embeddings(users.reindex(ids))
            @ self._embeddings()[1].T, k, per_user)

    def predict_ratings(self, ratings: pd.DataFrame) -> np.ndarray:
        """The rating head's prediction for each (user_id, movie_id) row of ``ratings``."""
        self._check_fitted()
        users, movies = self._embeddings()
        movie_codes = self.items_.codes(ratings["movie_id"], strict=False)
        movie_vectors = self._movie_vectors_for(ratings, movie_codes, movies)
        user_vectors = users[self.users_.codes(ratings["user_id"])]
        return self.model_.rating_head([user_vectors, movie_vectors]).numpy().ravel() \
            + self.mean_rating_

    def _movie_vectors_for(self, ratings, movie_codes, movies):
        """Known movies use their tower output; unseen ones their features (id unknown)."""
        vectors = np.zeros((len(ratings), movies.shape[1]), dtype="float32")
        known = movie_codes >= 0
        vectors[known] = movies[movie_codes[known]]
        if (~known).any():
            unseen = ratings.loc[~known, ["movie_id", "movie_title", "movie_genres"]]
            vectors[~known] = self._unseen_movie_vectors(unseen)
        return vectors

    def _unseen_movie_vectors(self, unseen: pd.DataFrame) -> np.ndarray:
        from movierec_utils.tfenv import tf

        table = {name: values[:1].repeat(len(unseen), axis=0)
                 for name, values in self.movie_table_.items()}
        table["id"] = np.zeros(len(unseen), dtype="int32")
        table.update(_genre_and_year_columns(unseen, missing_year=1995.0))
        table["title"] = np.zeros_like(table["title"])  # unseen titles: words unknown anyway
        return self.model_.movie_tower(
            {name: tf.constant(value) for name, value in table.items()}, training=False).numpy()

    def rmse(self, ratings: pd.DataFrame) -> float:
        """Root mean squared error of :meth:`predict_ratings` on ``ratings`` (known users)."""
        error = self.predict_ratings(ratings) - ratings["user_rating"].to_numpy(float)
        return float(np.sqrt(np.mean(error ** 2)))


def _genre_and_year_columns(movies: pd.DataFrame, missing_year: float) -> dict[str, np.ndarray]:
    """Multi-hot genres, 5-year bucket and scaled release year for the movie tower."""
    genres = np.zeros((len(movies), len(GENRES)), dtype="float32")
    for row, labels in enumerate(movies["movie_genres"]):
        genres[row, np.asarray(labels, dtype=int)] = 1.0
    years = movies["movie_title"].map(release_year).fillna(missing_year)
    return {"genres": genres,
            "year_bucket": (np.searchsorted(_YEAR_BUCKETS, years) + 1).astype("int32"),
            "year": ((years - 1990.0) / 10.0).to_numpy("float32")[:, None]}


# ---------------------------------------------------------------------- network
def _build_network(config: DeepRecommender, tf):
    from movierec_utils.models.losses import catalogue_softmax_loss, mean_squared_norm
    from movierec_utils.tfenv import tfrs

    dim = config.embedding_dim

    def mlp(name):
        layers = []
        for units in config.hidden_units:
            layers.append(tf.keras.layers.Dense(units, activation="relu"))
            if config.dropout:
                layers.append(tf.keras.layers.Dropout(config.dropout))
        layers.append(tf.keras.layers.Dense(config.output_dim))
        return tf.keras.Sequential(layers, name=name)

    class UserTower(tf.keras.layers.Layer):
        def __init__(self):
            super().__init__(name="user_tower")
            sizes = {"id": len(config.users_) + 1,
                     **{f: len(config.vocabularies_[f]) + 1
                        for f in ("age", "gender", "occupation", "zip")}}
            self.embeddings = {f: tf.keras.layers.Embedding(sizes[f], dim, name=f"user_{f}")
                               for f in config.user_features}
            self.mlp = mlp("user_mlp")

        def call(self, codes, training=False):
            parts = []
            for feature, layer in self.embeddings.items():
                ids = codes[feature]
                if feature == "id" and training and config.id_dropout:
                    drop = tf.random.uniform(tf.shape(ids), seed=config.seed) < config.id_dropout
                    ids = tf.where(drop, tf.zeros_like(ids), ids)
                parts.append(layer(ids))
            return self.mlp(tf.concat(parts, axis=1), training=training)

    class MovieTower(tf.keras.layers.Layer):
        def __init__(self):
            super().__init__(name="movie_tower")
            features = config.movie_features
            self.id_embedding = tf.keras.layers.Embedding(len(config.items_) + 1, dim) \
                if "id" in features else None
            self.genre_layer = tf.keras.layers.Dense(dim, use_bias=False) \
                if "genres" in features else None
            self.year_embedding = tf.keras.layers.Embedding(len(_YEAR_BUCKETS) + 2, dim // 4) \
                if "year" in features else None
            self.title_embedding = tf.keras.layers.Embedding(
                config.title_vocabulary_size_ + 1, dim, mask_zero=True) \
                if "title" in features else None
            self.mlp = mlp("movie_mlp")

        def call(self, table, training=False):
            parts = []
            if self.id_embedding is not None:
                parts.append(self.id_embedding(table["id"]))
            if self.genre_layer is not None:
                parts.append(self.genre_layer(table["genres"]))
            if self.year_embedding is not None:
                parts += [self.year_embedding(table["year_bucket"]), table["year"]]
            if self.title_embedding is not None:
                tokens = self.title_embedding(table["title"])
                mask = tf.cast(table["title"] > 0, tf.float32)[..., None]
                parts.append(tf.reduce_sum(tokens * mask, axis=1)
                             / tf.maximum(tf.reduce_sum(mask, axis=1), 1.0))
            return self.mlp(tf.concat(parts, axis=1), training=training)

    class RatingHead(tf.keras.layers.Layer):
        def __init__(self):
            super().__init__(name="rating_head")
            self.mlp = tf.keras.Sequential([tf.keras.layers.Dense(64, activation="relu"),
                                            tf.keras.layers.Dense(1)])

        def call(self, inputs):
            users, movies = inputs
            return self.mlp(tf.concat([users, movies, users * movies], axis=1))

    movie_table = {name: tf.constant(value) for name, value in config.movie_table_.items()}

    class DeepNetwork(tfrs.Model):
        def __init__(self):
            super().__init__()
            self.user_tower = UserTower()
            self.movie_tower = MovieTower()
            self.rating_head = RatingHead()
            self.rating_task = tfrs.tasks.Ranking(loss=tf.keras.losses.MeanSquaredError())

        def compute_loss(self, batch, training=False):
            codes = {f: batch[f"user_{f}"] for f in USER_FEATURES}
            users = self.user_tower(codes, training=training)
            movies = self.movie_tower(movie_table, training=training)
            logits = tf.matmul(users, movies, transpose_b=True)
            retrieval = catalogue_softmax_loss(logits, batch["targets"])
            penalty = mean_squared_norm(users) + mean_squared_norm(movies)
            # The rating loss is always computed (weight 0 leaves the head untrained but built).
            pairs = tf.where(batch["ratings"] > 0)
            predicted = self.rating_head([tf.gather(users, pairs[:, 0]),
                                          tf.gather(movies, pairs[:, 1])])
            observed = tf.gather_nd(batch["ratings"], pairs)[:, None] - config.mean_rating_
            rating = self.rating_task(labels=observed, predictions=predicted)
            return (config.retrieval_weight * retrieval + config.rating_weight * rating
                    + config.l2 * penalty)

    return DeepNetwork()
