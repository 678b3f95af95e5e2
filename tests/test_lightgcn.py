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
    users, movies = model.embeddings()
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


def test_propagation_equals_the_dense_layer_mean_for_every_depth_and_for_some_users(split):
    """make_propagation (sparse S and Sᵀ, layer by layer) against (E + ÂE + … + ÂᴷE)/(K+1)
    computed densely in NumPy, whole and for a list of users (repeats included)."""
    from movierec_utils.models.lightgcn import make_propagation
    from movierec_utils.tfenv import tf

    train, _, _ = split
    seen = Popularity().fit(train).seen_
    rng = np.random.default_rng(0)
    nodes = rng.normal(size=(sum(seen.shape), 8)).astype(np.float32)
    users, movies = tf.constant(nodes[:seen.shape[0]]), tf.constant(nodes[seen.shape[0]:])
    adjacency = full_adjacency(seen).toarray()
    some_users = [3, 0, 3, 7]
    for n_layers in (0, 1, 3, 4):
        layer, total = nodes, nodes.astype(np.float64)
        for _ in range(n_layers):
            layer = adjacency @ layer
            total = total + layer
        expected = total / (n_layers + 1)
        propagation = make_propagation(seen, n_layers)
        got_users, got_movies = propagation(users, movies)
        np.testing.assert_allclose(np.vstack([got_users, got_movies]), expected, atol=1e-5)
        np.testing.assert_allclose(propagation(users, movies, tf.constant(some_users))[0],
                                   expected[some_users], atol=1e-5)


@pytest.mark.parametrize("transpose", [False, True])
def test_the_sparse_products_gradient_is_the_product_with_the_other_matrix(split, transpose):
    """multiply's hand-written gradient: d/dX of sum(W * (S X)) is Sᵀ W (and S W for Sᵀ X)."""
    from movierec_utils.models.lightgcn import graph_block, multiply, sparse_matrices
    from movierec_utils.tfenv import tf

    train, _, _ = split
    seen = Popularity().fit(train).seen_
    block_np = normalised_adjacency(seen).toarray()
    matrix = block_np.T if transpose else block_np
    rng = np.random.default_rng(1)
    dense = tf.Variable(rng.normal(size=(matrix.shape[1], 5)).astype(np.float32))
    weights = rng.normal(size=(matrix.shape[0], 5)).astype(np.float32)
    with tf.GradientTape() as tape:
        product = multiply(sparse_matrices(graph_block(seen)), dense, transpose=transpose)
        loss = tf.reduce_sum(weights * product)
    np.testing.assert_allclose(product.numpy(), matrix @ dense.numpy(), atol=1e-5)
    np.testing.assert_allclose(tape.gradient(loss, dense).numpy(), matrix.T @ weights, atol=1e-5)


def test_two_fits_with_one_seed_are_identical_to_the_last_bit(split):
    """The sparse products' gradients are written by hand so that a fit repeats exactly."""
    train, _, _ = split
    first = LightGCN(seed=3, **FAST).fit(train).embeddings()
    again = LightGCN(seed=3, **FAST).fit(train).embeddings()
    for a, b in zip(first, again):
        assert np.array_equal(a, b)
