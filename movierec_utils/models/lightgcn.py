"""LightGCN (He et al., SIGIR 2020): message passing on the user–movie graph, in TensorFlow.

Users and movies are the nodes of a bipartite graph whose edges are the *training* ratings.
Every node starts from a free embedding ``e⁽⁰⁾``; one layer replaces each node by the normalised
sum of its neighbours,

    e_u⁽ᵏ⁺¹⁾ = Σ_{i ∈ N(u)} e_i⁽ᵏ⁾ / √(|N(u)| |N(i)|)      (and symmetrically for movies),

i.e. ``E⁽ᵏ⁺¹⁾ = Â E⁽ᵏ⁾`` with ``Â = D^{-1/2} A D^{-1/2}`` — no weights, no non-linearity. The final
embedding is the mean of layers 0…K and the score is a dot product. With ``n_layers=0`` the model
is plain matrix factorisation.

Because the graph is bipartite, ``Â = [[0, S], [Sᵀ, 0]]`` with ``S = D_u^{-1/2} R D_m^{-1/2}``
(users × movies), so a layer is two products ``U ← S M``, ``M ← Sᵀ U``. ``implementation="fast"``
does them with a dense ``S`` inside a compiled ``tf.function``; ``implementation="naive"`` is the
straightforward prototype kept for the speed comparison: eager steps, a ``tf.sparse``
product over the full ``(users + movies)²`` adjacency.

Losses: ``"softmax"`` (full softmax over all movies, one row per user, as in the two-tower model)
or ``"bpr"`` (Bayesian personalised ranking on (user, rated movie, random movie) triples, the
paper's loss). ``l2`` weighs the squared norm of the layer-0 embeddings used in a step.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from movierec_utils.models.base import Recommender
from movierec_utils.seeding import set_seed


def normalised_adjacency(interactions: sp.spmatrix) -> sp.csr_matrix:
    """``S = D_u^{-1/2} R D_m^{-1/2}``: the user→movie block of LightGCN's ``Â``.

    Degrees come from ``R`` itself; users or movies without edges get zero rows/columns.
    """
    interactions = sp.csr_matrix(interactions, dtype=np.float64)
    interactions.data[:] = 1.0
    user_degree = np.asarray(interactions.sum(axis=1)).ravel()
    movie_degree = np.asarray(interactions.sum(axis=0)).ravel()
    with np.errstate(divide="ignore"):
        user_scale = np.where(user_degree > 0, user_degree ** -0.5, 0.0)
        movie_scale = np.where(movie_degree > 0, movie_degree ** -0.5, 0.0)
    return sp.csr_matrix(sp.diags(user_scale) @ interactions @ sp.diags(movie_scale))


def full_adjacency(interactions: sp.spmatrix) -> sp.csr_matrix:
    """The whole symmetric ``Â`` over users and movies, ``[[0, S], [Sᵀ, 0]]``."""
    block = normalised_adjacency(interactions)
    return sp.csr_matrix(sp.bmat([[None, block], [block.T, None]]))


class LightGCN(Recommender):
    """LightGCN with early stopping on validation NDCG@10; defaults are notebook 02's choice."""

    name = "gnn"

    def __init__(self, embedding_dim: int = 64, n_layers: int = 3, loss: str = "softmax",
                 learning_rate: float = 0.02, l2: float = 0.01, batch_size: int = 64,
                 epochs: int = 100, patience: int = 5, implementation: str = "fast",
                 temperature: float | None = None, seed: int = 42):
        super().__init__(seed)
        if loss not in ("softmax", "bpr"):
            raise ValueError(f"loss must be 'softmax' or 'bpr', got {loss!r}")
        if implementation not in ("fast", "naive"):
            raise ValueError(f"implementation must be 'fast' or 'naive', got {implementation!r}")
        if n_layers < 0:
            raise ValueError(f"n_layers must be 0 or more, got {n_layers}")
        self.embedding_dim = embedding_dim
        self.n_layers = n_layers
        self.loss = loss
        self.learning_rate = learning_rate
        self.l2 = l2
        self.batch_size = batch_size
        self.epochs = epochs
        self.patience = patience
        self.implementation = implementation
        self.temperature = temperature

    # ------------------------------------------------------------------ training
    def _fit(self, train: pd.DataFrame, valid: pd.DataFrame | None) -> None:
        from movierec_utils.tfenv import tf

        set_seed(self.seed)
        self._rng = np.random.default_rng(self.seed)
        n_users, n_movies = self.seen_.shape
        init = tf.keras.initializers.RandomNormal(stddev=0.1, seed=self.seed)
        self.user_embeddings_ = tf.Variable(init((n_users, self.embedding_dim)), name="users")
        self.movie_embeddings_ = tf.Variable(init((n_movies, self.embedding_dim)), name="movies")
        self._optimizer = tf.keras.optimizers.Adam(self.learning_rate)
        self._propagate = self._make_propagation(tf)
        step = self._make_step(tf)
        batches = self._softmax_batches if self.loss == "softmax" else self._bpr_batches
        self._train_epochs(
            run_epoch=lambda: np.mean([float(step(*batch)) for batch in batches(tf)]),
            valid=valid,
            get_state=lambda: [v.numpy() for v in self._variables()],
            set_state=lambda state: [v.assign(s) for v, s in zip(self._variables(), state)])

    def _variables(self):
        return [self.user_embeddings_, self.movie_embeddings_]

    def _make_propagation(self, tf):
        layers = self.n_layers
        if self.implementation == "naive":
            adjacency = _to_tf_sparse(full_adjacency(self.seen_), tf)
            n_users = self.seen_.shape[0]

            def propagate(users, movies):
                nodes = tf.concat([users, movies], axis=0)
                total = nodes
                for _ in range(layers):
                    nodes = tf.sparse.sparse_dense_matmul(adjacency, nodes)
                    total = total + nodes
                mean = total / (layers + 1)
                return mean[:n_users], mean[n_users:]

            return propagate

        # Dense S: on 2 cores TF's dense matmul (and its gradient) beats SparseTensor products
        # ~4× here; TF's CSR kernels are faster still but not deterministic. Fine up to ML-1M.
        block = tf.constant(normalised_adjacency(self.seen_).toarray(), tf.float32)

        def propagate(users, movies):
            user_total, movie_total = users, movies
            for _ in range(layers):
                users, movies = (tf.matmul(block, movies),
                                 tf.matmul(block, users, transpose_a=True))
                user_total, movie_total = user_total + users, movie_total + movies
            return user_total / (layers + 1), movie_total / (layers + 1)

        return propagate

    def _make_step(self, tf):
        from movierec_utils.models.losses import catalogue_softmax_loss, mean_squared_norm

        variables = self._variables()

        def loss_fn(*batch):
            users, movies = self._scoring_embeddings(tf, *self._propagate(*variables))
            if self.loss == "softmax":
                user_index, targets = batch
                logits = tf.matmul(tf.gather(users, user_index), movies, transpose_b=True)
                loss = catalogue_softmax_loss(logits, targets)
                ego = [tf.gather(variables[0], user_index), variables[1]]
            else:
                user_index, positive, negative = batch
                user = tf.gather(users, user_index)
                margin = tf.reduce_sum(user * (tf.gather(movies, positive)
                                               - tf.gather(movies, negative)), axis=1)
                loss = tf.reduce_mean(tf.nn.softplus(-margin))  # −log σ(margin)
                ego = [tf.gather(variables[0], user_index), tf.gather(variables[1], positive),
                       tf.gather(variables[1], negative)]
            penalty = tf.add_n([mean_squared_norm(e) for e in ego])
            return loss + self.l2 * penalty

        def step(*batch):
            with tf.GradientTape() as tape:
                loss = loss_fn(*batch)
            gradients = tape.gradient(loss, variables)
            self._optimizer.apply_gradients(zip(gradients, variables))
            return loss

        return tf.function(step, reduce_retracing=True) if self.implementation == "fast" else step

    def _scoring_embeddings(self, tf, users, movies):
        """With a temperature τ, scores are cosine similarities / τ; otherwise dot products."""
        if self.temperature is None:
            return users, movies
        return (tf.math.l2_normalize(users, axis=1) / self.temperature,
                tf.math.l2_normalize(movies, axis=1))

    def _softmax_batches(self, tf):
        """One row per user: the user's training movies as a multi-hot target (cf. TwoTower)."""
        order = self._rng.permutation(self.seen_.shape[0])
        for start in range(0, len(order), self.batch_size):
            users = order[start:start + self.batch_size]
            yield (tf.constant(users, tf.int32),
                   tf.constant(self.seen_[users].toarray(), tf.float32))

    def _bpr_batches(self, tf):
        """Each training rating once, paired with a random movie the user has not rated."""
        users, positives = self.seen_.nonzero()
        order = self._rng.permutation(len(users))
        users, positives = users[order], positives[order]
        negatives = self._rng.integers(0, self.seen_.shape[1], size=len(users))
        clash = np.asarray(self.seen_[users, negatives]).ravel() > 0
        while clash.any():  # resample the few negatives that are in fact rated
            negatives[clash] = self._rng.integers(0, self.seen_.shape[1], size=clash.sum())
            clash = np.asarray(self.seen_[users, negatives]).ravel() > 0
        for start in range(0, len(users), self.batch_size):
            part = slice(start, start + self.batch_size)
            yield (tf.constant(users[part], tf.int32), tf.constant(positives[part], tf.int32),
                   tf.constant(negatives[part], tf.int32))

    # ------------------------------------------------------------------ scoring
    def _clear_cache(self) -> None:
        self._final_cache = None

    def final_embeddings(self) -> tuple[np.ndarray, np.ndarray]:
        """Users' and movies' layer-mean embeddings after propagation (cached)."""
        if getattr(self, "_final_cache", None) is None:
            from movierec_utils.tfenv import tf

            users, movies = self._scoring_embeddings(
                tf, *self._propagate(self.user_embeddings_, self.movie_embeddings_))
            self._final_cache = (users.numpy(), movies.numpy())
        return self._final_cache

    def _score(self, user_codes: np.ndarray) -> np.ndarray:
        users, movies = self.final_embeddings()
        return users[user_codes] @ movies.T


def _to_tf_sparse(matrix: sp.spmatrix, tf):
    coo = sp.coo_matrix(matrix)
    indices = np.stack([coo.row, coo.col], axis=1).astype("int64")
    return tf.sparse.reorder(tf.sparse.SparseTensor(indices, coo.data.astype("float32"),
                                                    coo.shape))
