"""LightGCN on synthetic data: the graph, reproducibility, and the interface."""
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from movierec_utils.models import MODELS, LightGCN, Popularity
from movierec_utils.models.lightgcn import full_adjacency, normalised_adjacency
from movierec_utils.splits import stratified_split
from tests.conftest import assert_distinct_unseen, make_ratings

FAST = {"epochs": 15, "batch_size": 16, "embedding_dim": 8, "learning_rate": 0.02, "l2": 0.01}


@pytest.fixture(scope="module")
def split():
    ratings = make_ratings(n_users=60, n_movies=50, per_user=15, seed=1, taste=20.0)
    return stratified_split(ratings, ratio=0.75, seed=0, valid_ratio=0.2)


def test_normalised_adjacency_matches_a_dense_numpy_computation():
    rng = np.random.default_rng(0)
    interactions = (rng.random((7, 9)) < 0.4).astype(float)
    interactions[3] = 0  # a user without edges must not produce NaNs
    n_users, n_movies = interactions.shape
    adjacency = np.zeros((n_users + n_movies,) * 2)
    adjacency[:n_users, n_users:] = interactions
    adjacency[n_users:, :n_users] = interactions.T
    degree = adjacency.sum(axis=1)
    scale = np.divide(1.0, np.sqrt(degree), out=np.zeros_like(degree), where=degree > 0)
    expected = scale[:, None] * adjacency * scale[None, :]
    np.testing.assert_allclose(full_adjacency(sp.csr_matrix(interactions)).toarray(), expected)
    np.testing.assert_allclose(normalised_adjacency(interactions).toarray(),
                               expected[:n_users, n_users:])


def test_graph_is_built_from_training_ratings_only(split):
    train, _, test = split
    model = LightGCN(n_layers=2, **{**FAST, "epochs": 1}).fit(train)
    block = normalised_adjacency(model.seen_)
    rows = model.users_.codes(test["user_id"])
    cols = model.items_.codes(test["movie_id"], strict=False)
    known = cols >= 0
    assert np.all(np.asarray(block[rows[known], cols[known]]).ravel() == 0)
    train_rows = model.users_.codes(train["user_id"])
    train_cols = model.items_.codes(train["movie_id"])
    assert np.all(np.asarray(block[train_rows, train_cols]).ravel() > 0)


def test_propagation_equals_the_layer_mean_of_adjacency_powers(split):
    train, _, _ = split
    model = LightGCN(n_layers=2, **{**FAST, "epochs": 1}).fit(train)
    users0, movies0 = model.user_embeddings_.numpy(), model.movie_embeddings_.numpy()
    nodes = np.vstack([users0, movies0])
    adjacency = full_adjacency(model.seen_).toarray()
    expected = (nodes + adjacency @ nodes + adjacency @ adjacency @ nodes) / 3
    users, movies = model.final_embeddings()
    np.testing.assert_allclose(np.vstack([users, movies]), expected, atol=1e-5)


@pytest.mark.parametrize("loss", ["softmax", "bpr"])
def test_recommends_unseen_movies_and_beats_popularity(split, loss):
    train, _, test = split
    model = LightGCN(n_layers=2, loss=loss, **{**FAST, "epochs": 40,
                                               "batch_size": 16 if loss == "softmax" else 64}
                     ).fit(train)
    recs = model.recommend(list(model.users_.ids), k=5)
    assert_distinct_unseen(recs, train)
    assert model.evaluate(test)["ndcg@10"] > Popularity().fit(train).evaluate(test)["ndcg@10"]


def test_same_seed_same_recommendations(split):
    train, _, _ = split
    first = LightGCN(seed=5, **FAST).fit(train).recommend(["1", "2"], k=5)
    again = LightGCN(seed=5, **FAST).fit(train).recommend(["1", "2"], k=5)
    pd.testing.assert_frame_equal(first, again)


def test_the_speed_benchmarks_prototype_computes_the_same_model(split):
    """benchmarks/lightgcn_speed.py times an eager, sparse-full-adjacency prototype against the
    model: same propagation, same training, only slower."""
    from benchmarks.lightgcn_speed import Prototype

    train, _, _ = split
    model = LightGCN(**{**FAST, "epochs": 3}).fit(train)
    prototype = Prototype(**{**FAST, "epochs": 3}).fit(train)
    tables = (model.user_embeddings_, model.movie_embeddings_)
    np.testing.assert_allclose(np.vstack(prototype._propagate(*tables)),
                               np.vstack(model._propagate(*tables)), atol=1e-6)
    np.testing.assert_allclose(model.score(["1", "2"]), prototype.score(["1", "2"]), atol=1e-3)


def test_errors(split):
    train, _, _ = split
    model = LightGCN(**{**FAST, "epochs": 1}).fit(train)
    with pytest.raises(KeyError, match="unknown user id '0'"):
        model.recommend(["0"])
    assert MODELS["gnn"] is LightGCN


@pytest.mark.parametrize("setting, value, allowed", [
    ("loss", "mse", "one of 'softmax', 'bpr'"), ("n_layers", -1, "≥ 0"),
    ("embedding_dim", 0, "≥ 1"), ("batch_size", 0, "≥ 1"), ("epochs", 0, "≥ 1"),
    ("max_epochs", 0, "≥ 1"), ("patience", 0, "≥ 1"), ("learning_rate", 0.0, "> 0"),
    ("learning_rate", float("nan"), "> 0"), ("l2", -0.1, "≥ 0"), ("l2", float("inf"), "≥ 0"),
    ("epochs", 2.5, "whole number"),
])
def test_every_setting_is_checked_when_the_model_is_built(setting, value, allowed):
    with pytest.raises(ValueError, match=f"{setting} must be .*{allowed}.*got {value!r}"):
        LightGCN(**{setting: value})


def test_the_propagation_matrix_equals_layer_by_layer_propagation(split):
    """make_propagation's P (one matrix, computed once) and propagate's K layers over a sparse S
    (used when P would not fit in memory) give the same final embeddings, whole or per user."""
    from movierec_utils.models.lightgcn import make_propagation
    from movierec_utils.tfenv import tf

    train, _, _ = split
    seen = Popularity().fit(train).seen_
    rng = np.random.default_rng(0)
    users = tf.constant(rng.normal(size=(seen.shape[0], 8)), tf.float32)
    movies = tf.constant(rng.normal(size=(seen.shape[1], 8)), tf.float32)
    some_users = tf.constant([3, 0, 3, 7])
    for n_layers in (0, 1, 3, 4):
        by_matrix = make_propagation(seen, n_layers)
        by_layers = make_propagation(seen, n_layers, max_dense_bytes=0)
        for index in (None, some_users):
            for got, expected in zip(by_matrix(users, movies, index), by_layers(users, movies, index)):
                np.testing.assert_allclose(got.numpy(), expected.numpy(), atol=1e-5)


def test_a_graph_too_large_for_a_dense_block_is_propagated_sparsely_with_the_same_result(split):
    """Issue 13: above DENSE_BLOCK_MAX_BYTES the block is a tf.SparseTensor; where both run, the
    sparse and the dense propagation agree."""
    from movierec_utils.models.lightgcn import graph_block, propagate
    from movierec_utils.tfenv import tf

    train, _, _ = split
    seen = Popularity().fit(train).seen_
    dense, sparse = graph_block(seen), graph_block(seen, max_dense_bytes=0)
    assert isinstance(sparse, tf.SparseTensor) and not isinstance(dense, tf.SparseTensor)
    rng = np.random.default_rng(0)
    users = tf.constant(rng.normal(size=(seen.shape[0], 8)), tf.float32)
    movies = tf.constant(rng.normal(size=(seen.shape[1], 8)), tf.float32)
    for got, expected in zip(propagate(sparse, users, movies, 3),
                             propagate(dense, users, movies, 3)):
        np.testing.assert_allclose(got.numpy(), expected.numpy(), atol=1e-5)
