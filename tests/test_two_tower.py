"""TwoTower on small synthetic data: it learns, follows the interface, and is reproducible."""
import numpy as np
import pandas as pd
import pytest

from movierec_utils.models import MODELS, Popularity, TwoTower
from movierec_utils.models.two_tower import ServingIndex
from movierec_utils.tfenv import tf
from movierec_utils.splits import stratified_split
from tests.conftest import assert_distinct_unseen, make_ratings

FAST = {"epochs": 8, "batch_size": 16, "embedding_dim": 8, "learning_rate": 0.02, "l2": 0.01}


@pytest.fixture(scope="module")
def split():
    ratings = make_ratings(n_users=60, n_movies=50, per_user=15, seed=1, taste=20.0)
    return stratified_split(ratings, ratio=0.75, seed=0, valid_ratio=0.2)


@pytest.mark.parametrize("loss", ["full_softmax", "logq", "in_batch"])
def test_recommends_k_distinct_unseen_movies(split, loss):
    train, _, _ = split
    model = TwoTower(loss=loss, **FAST).fit(train)
    recs = model.recommend(["1", "2", "3"], k=7)
    assert len(recs) == 21
    assert_distinct_unseen(recs, train)
    for _, group in recs.groupby("user_id"):
        assert group["rank"].tolist() == list(range(1, 8))


def test_same_seed_gives_the_same_recommendations(split):
    train, _, _ = split
    first = TwoTower(seed=3, **FAST).fit(train).recommend(["4", "5"], k=5)
    again = TwoTower(seed=3, **FAST).fit(train).recommend(["4", "5"], k=5)
    pd.testing.assert_frame_equal(first, again)


def test_learns_the_taste_groups_better_than_popularity(split):
    # Synthetic user u prefers movies whose index (movie_id - 1) has u's parity (conftest).
    train, _, test = split
    model = TwoTower(seed=0, **{**FAST, "epochs": 40}).fit(train)
    recs = model.recommend(list(model.users_.ids), k=5)
    liked = (recs["movie_id"].astype(int) - 1) % 2 == recs["user_id"].astype(int) % 2
    assert liked.mean() > 0.8
    assert model.evaluate(test)["ndcg@10"] > Popularity().fit(train).evaluate(test)["ndcg@10"]


def test_early_stopping_keeps_the_best_validation_epoch(split):
    train, valid, _ = split
    model = TwoTower(seed=0, **{**FAST, "epochs": 30}, patience=2).fit(train, valid)
    scores = [record["valid_ndcg@10"] for record in model.history_]
    assert model.best_epoch_ == int(np.argmax(scores)) + 1
    assert model.evaluate(valid)["ndcg@10"] == pytest.approx(max(scores))
    assert len(model.history_) <= model.best_epoch_ + 2
    assert model.refit(train).get_params()["epochs"] == model.best_epoch_


def test_unknown_user_and_bad_configuration_are_reported(split):
    train, _, _ = split
    model = TwoTower(**FAST).fit(train)
    with pytest.raises(KeyError, match="unknown user id '999'"):
        model.recommend(["999"])
    with pytest.raises(ValueError, match="loss must be one of"):
        TwoTower(loss="softmax")


@pytest.mark.parametrize("setting, value, words", [
    ("embedding_dim", 0, "embedding_dim must be a whole number ≥ 1; got 0"),
    ("batch_size", 0, "batch_size must be a whole number ≥ 1"),
    ("epochs", -1, "epochs must be a whole number ≥ 1"),
    ("patience", 2.0, "patience must be a whole number ≥ 1"),
    ("learning_rate", 0.0, "learning_rate must be a finite number > 0"),
    ("learning_rate", float("nan"), "learning_rate must be a finite number > 0"),
    ("l2", -0.1, "l2 must be a finite number ≥ 0"),
    ("output_dim", 0, "output_dim must be a whole number ≥ 1 or None"),
    ("tower_activation", "rleu", "tower_activation must be one of"),
    ("optimizer", "adamw", "optimizer must be one of"),
    ("remove_accidental_hits", 1, "remove_accidental_hits must be True or False"),
    ("hidden_units", (64, 0), r"hidden_units\[1\] must be a whole number ≥ 1"),
    ("hidden_units", 64, "hidden_units must be a tuple of layer widths"),
])
def test_every_setting_is_checked_when_the_model_is_built(setting, value, words):
    with pytest.raises(ValueError, match=words):
        TwoTower(**{setting: value})


def test_sampled_objectives_are_a_mean_per_rating_without_accidental_hits():
    """TFRS's Retrieval sums over the batch; the model's loss is the mean per rating, on the full
    softmax's scale, and a batch's second copy of a movie is not a negative for the first."""
    from movierec_utils.models.two_tower import TwoTowerModel

    model = TwoTowerModel(["u1", "u2", "u3"], ["A", "B"], embedding_dim=4, loss="in_batch")
    batch = {"user_id": tf.constant(["u1", "u2", "u3"]), "movie_id": tf.constant(["A", "B", "A"])}
    users, movies = model.user_model(batch["user_id"]), model.movie_model(batch["movie_id"])
    logits = tf.matmul(users, movies, transpose_b=True).numpy()
    duplicate = np.array([[0, 0, 1], [0, 0, 0], [1, 0, 0]], dtype=bool)  # A twice: no negative
    logits = np.where(duplicate, -np.inf, logits)
    per_rating = -np.diag(logits - np.log(np.exp(logits).sum(axis=1, keepdims=True)))
    assert float(model.compute_loss(batch)) == pytest.approx(per_rating.mean(), rel=1e-5)


def test_serving_index_returns_the_models_top_titles(split):
    train, _, _ = split
    model = TwoTower(**FAST).fit(train)
    _, titles = ServingIndex(model, k=3)(np.array(["7"]))
    expected = model.recommend(["7"], k=3, exclude_seen=False)["movie_title"].tolist()
    assert [t.decode() for t in titles[0].numpy()] == expected


def test_serving_index_refuses_unknown_users_also_after_a_savedmodel_round_trip(split, tmp_path):
    """A plain BruteForce index answers an unknown id from the untrained out-of-vocabulary row;
    ours raises an error that names the id, before and after export."""
    train, _, _ = split
    index = ServingIndex(TwoTower(**FAST).fit(train), k=3)
    with pytest.raises(tf.errors.InvalidArgumentError, match="unknown user id"):
        index(tf.constant(["99999"]))
    index(tf.constant(["7"]))  # traced with a known id, as before saving
    tf.saved_model.save(index, str(tmp_path))
    reloaded = tf.saved_model.load(str(tmp_path))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"unknown user id\(s\)\] \[99999\]"):
        reloaded(tf.constant(["99999"]))


def test_registered():
    assert MODELS["two_tower"] is TwoTower
