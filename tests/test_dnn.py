"""DeepRecommender on synthetic data: features, cold start, reproducibility, errors."""
import numpy as np
import pandas as pd
import pytest

from movierec_utils.models import MODELS, DeepRecommender, Popularity
from movierec_utils.features import clean_title, release_year, title_vocabulary, user_feature_frame
from movierec_utils.models.dnn import RatingHead, masked_mean
from movierec_utils.splits import holdout_users, stratified_split
from tests.conftest import assert_distinct_unseen, make_ratings

FAST = {"epochs": 10, "batch_size": 16, "embedding_dim": 8, "output_dim": 8,
        "hidden_units": (16,), "learning_rate": 0.01, "l2": 0.01}


@pytest.fixture(scope="module")
def ratings():
    frame = make_ratings(n_users=60, n_movies=50, per_user=15, seed=2, taste=20.0)
    # Make gender carry the taste (users of one parity are "F"), so demographics are informative.
    frame["user_gender"] = np.where(frame["user_id"].astype(int) % 2 == 0, "F", "M")
    return frame


def test_title_vocabulary_is_by_count_then_alphabetical_whatever_the_input_order():
    titles = ["the godfather", "the matrix", "matrix reloaded", "zorro", "alien", "godfather ii"]
    expected = ["godfather", "matrix", "the", "alien", "ii", "reloaded", "zorro"]
    assert title_vocabulary(titles) == expected
    assert title_vocabulary(titles[::-1]) == expected
    assert title_vocabulary(titles, size=3) == expected[:3]


def test_title_features():
    assert release_year("Toy Story (1995)") == 1995.0
    assert np.isnan(release_year("Untitled"))
    assert clean_title("Godfather, The (1972)") == "the godfather"


def test_user_feature_frame_has_one_row_per_user(ratings):
    users = user_feature_frame(ratings)
    assert users.index.is_unique and len(users) == ratings["user_id"].nunique()
    assert users.loc["3", "zip_prefix"] == ratings.loc[ratings["user_id"] == "3",
                                                       "user_zip_code"].iloc[0][:2]
    with pytest.raises(ValueError, match="user features need the columns"):
        user_feature_frame(ratings.drop(columns="user_gender"))


def test_recommends_unseen_movies_and_predicts_ratings(ratings):
    train, test = stratified_split(ratings, ratio=0.75, seed=0)
    model = DeepRecommender(**FAST).fit(train)
    recs = model.recommend(["1", "2"], k=5)
    assert_distinct_unseen(recs, train)
    predictions = model.predict_ratings(test)
    assert predictions.shape == (len(test),) and np.isfinite(predictions).all()
    assert 0.5 < model.rmse(test) < 3.0


def test_same_seed_same_recommendations(ratings):
    train, _ = stratified_split(ratings, ratio=0.75, seed=0)
    first = DeepRecommender(seed=1, **FAST).fit(train).recommend(["3", "4"], k=5)
    again = DeepRecommender(seed=1, **FAST).fit(train).recommend(["3", "4"], k=5)
    pd.testing.assert_frame_equal(first, again)


def test_cold_start_users_are_served_from_their_features(ratings):
    known, new = holdout_users(ratings, fraction=0.2, seed=0)
    model = DeepRecommender(seed=0, **{**FAST, "epochs": 40, "id_dropout": 0.5}).fit(known)
    features = user_feature_frame(new)
    recs = model.recommend_new_users(features, k=5)
    assert set(recs["user_id"]) == set(features.index) and len(recs) == 5 * len(features)
    # Gender encodes taste here, so feature-only recommendations should follow it.
    liked = (recs["movie_id"].astype(int) - 1) % 2 == recs["user_id"].astype(int) % 2
    assert liked.mean() > 0.7
    cold = model.evaluate_new_users(new)
    popular = Popularity().fit(known).evaluate_new_users(new)
    assert cold["n_users"] == popular["n_users"] == len(features)
    assert cold["ndcg@10"] > popular["ndcg@10"]


def test_unknown_user_without_features_is_a_clear_error(ratings):
    model = DeepRecommender(**{**FAST, "epochs": 1}).fit(ratings)
    with pytest.raises(KeyError, match="unknown user id '999'"):
        model.recommend(["999"])


def test_missing_columns_are_a_clear_error(ratings):
    # Matches on the column name only: the base class may check required_columns first.
    assert "movie_genres" in DeepRecommender.required_columns
    with pytest.raises(ValueError, match="movie_genres"):
        DeepRecommender(**{**FAST, "epochs": 1}).fit(ratings.drop(columns="movie_genres"))


def test_title_mean_ignores_padding():
    from movierec_utils.tfenv import tf

    vectors = tf.constant([[[1.0, 2.0], [3.0, 4.0], [9.0, 9.0]], [[9.0, 9.0]] * 3])
    means = masked_mean(vectors, tf.constant([[5, 6, 0], [0, 0, 0]])).numpy()
    np.testing.assert_allclose(means, [[2.0, 3.0], [0.0, 0.0]])


def test_feature_groups_are_validated():
    with pytest.raises(ValueError, match="user_features = .*income.*non-empty tuple"):
        DeepRecommender(user_features=("id", "income"))
    with pytest.raises(ValueError, match="movie_features = \\(\\): give a non-empty tuple"):
        DeepRecommender(movie_features=())
    assert MODELS["dnn"] is DeepRecommender


@pytest.mark.parametrize("setting, value", [
    ("embedding_dim", 0), ("output_dim", -1), ("batch_size", 0), ("epochs", 0), ("max_epochs", 0),
    ("patience", 0), ("learning_rate", 0.0), ("learning_rate", float("nan")), ("l2", -0.05),
    ("l2", float("inf")), ("dropout", 1.0), ("id_dropout", 1.5), ("rating_weight", -1.0),
    ("retrieval_weight", 0.0), ("epochs", 2.5), ("hidden_units", (64, 0))])
def test_every_setting_is_checked_when_the_model_is_built(setting, value):
    name = "hidden_units\\[1\\]" if setting == "hidden_units" else setting
    with pytest.raises(ValueError, match=name):
        DeepRecommender(**{setting: value})


def test_hidden_units_must_be_a_tuple():
    with pytest.raises(ValueError, match="hidden_units must be a tuple of layer widths"):
        DeepRecommender(hidden_units=64)


def test_rating_head_for_pairs_is_the_head_on_gathered_pairs():
    from movierec_utils.tfenv import tf

    rng = np.random.default_rng(0)
    users, movies = (tf.constant(rng.normal(size=shape), tf.float32) for shape in ((4, 6), (9, 6)))
    pairs = tf.constant([[0, 1], [0, 8], [3, 1], [2, 2], [3, 7]], tf.int64)
    head = RatingHead(hidden_units=5)
    gathered = head([tf.gather(users, pairs[:, 0]), tf.gather(movies, pairs[:, 1])])
    np.testing.assert_allclose(head.for_pairs(users, movies, pairs), gathered, atol=1e-5)


def test_rating_weight_zero_leaves_the_rating_head_untrained(ratings):
    one, two = (DeepRecommender(**{**FAST, "epochs": epochs, "rating_weight": 0.0}).fit(ratings)
                for epochs in (1, 2))
    for first, second in zip(one.model_.rating_head.get_weights(),
                             two.model_.rating_head.get_weights()):
        np.testing.assert_array_equal(first, second)  # same seed, never updated
    assert not np.array_equal(one.model_.user_tower.get_weights()[0],
                              two.model_.user_tower.get_weights()[0])  # the towers did train
