"""LightGCN speed benchmark: the unoptimised prototype against the model, seconds per epoch.

    .venv/bin/python benchmarks/lightgcn_speed.py [--epochs 3] [--fit-repeats 2] [--output FILE]

The appendix (notebooks/appendix/A_studies.ipynb) shows the result; notebook 02 links to it.
Five variants, 3 layers, 64 dimensions, trained on stratified_split(seed=42)'s training part in
the same run:

1. the first prototype that trained — eager steps (no ``tf.function``), a ``tf.sparse`` product
   over the full ``(users + movies)²`` adjacency, BPR on batches of 1,024 ratings (``Prototype``
   below);
2. a compiled step propagating layer by layer through the dense users × movies block ``S``
   (``DenseLayerByLayer`` below: 2K products with ``S`` a step), with the prototype's loss and
   batches;
3. the same with the configured loss and batches (full softmax, 64 users a batch);
4. the layer mean as one dense matrix ``P = (I + Â + … + Âᴷ)/(K+1)``, computed once per fit; a
   step multiplies by P's movie rows and its batch users' rows only (``PropagationMatrix`` below:
   the model until it moved to sparse products);
5. the model of ``movierec_utils.models.lightgcn`` as notebook 02 configures it: layer by layer
   through ``S`` and ``Sᵀ`` stored as TensorFlow CSR matrices, the products' gradients written
   by hand.

It also times whole reported fits (``LightGCN()``, 32 epochs) of variants 4 and 5, alternated, in
process CPU seconds and wall seconds, with their test NDCG@10 (the same model: only the order of
floating-point operations differs); and it fits the model twice with TensorFlow's registered
gradient of the CSR product and twice with the model's own, recording how far each pair of
identical fits ends apart (``repeatability``).

Seconds per epoch are the fastest of the epochs after the first (the first includes tracing and
warm-up; other processes on a shared machine only ever add time, so the minimum is the most
repeatable estimate). Writes results/lightgcn_speed.json: seconds per epoch and speed-up against the
prototype per variant, batches (= graph propagations) per epoch, epochs timed, the reported fits
(``reported_fit``), ``repeatability``, the command, the date, the commit, the machine's cores and
load average, and the library versions. On a shared machine other processes
inflate the seconds (unevenly, since the variants run one after another): compare ratios, and
rerun when the machine is quiet.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import scipy.sparse as sp

import movierec_utils  # noqa: F401  (before TensorFlow)
from movierec_utils.models.lightgcn import (LightGCN, full_adjacency, graph_block, make_train_step,
                                            normalised_adjacency, sparse_matrices)
from movierec_utils.results import cpu_count
from movierec_utils.tfenv import tf

COMMAND = "python benchmarks/lightgcn_speed.py"
REPO = Path(__file__).resolve().parents[1]
N_LAYERS = 3
#: The prototype's training setting (BPR, Adam 5e-3, batches of 1,024 ratings).
PROTOTYPE_SETTING = {"loss": "bpr", "batch_size": 1024, "learning_rate": 0.005}


class Prototype(LightGCN):
    """The same model, as first written: the step runs eagerly, op by op from Python, and a
    layer is one ``tf.sparse`` product with the whole symmetric ``Â`` (``full_adjacency``)."""

    def _make_propagation(self):
        adjacency = to_tf_sparse(full_adjacency(self.seen_))
        n_users, n_layers = self.seen_.shape[0], self.n_layers

        def propagation(users, movies, user_index=None):
            nodes = tf.concat([users, movies], axis=0)
            total = nodes
            for _ in range(n_layers):
                nodes = tf.sparse.sparse_dense_matmul(adjacency, nodes)
                total = total + nodes
            mean = total / (n_layers + 1)
            users = mean[:n_users]
            return (users if user_index is None else tf.gather(users, user_index)), mean[n_users:]

        return propagation

    def _make_step(self, optimizer):
        return make_train_step(self._variables(), self._propagate, optimizer, self.loss,
                               self.l2)  # not wrapped in tf.function


def layer_mean(by_s, by_s_transposed, users, movies, n_layers: int, user_index=None):
    """``propagate``'s layer mean with the products ``S @ x`` and ``Sᵀ @ x`` passed in, so that a
    variant can swap the kernel (or its gradient); rows ``user_index`` of the users (all without
    it) and all movies."""
    user_total, movie_total = users, movies
    for _ in range(n_layers):
        users, movies = by_s(movies), by_s_transposed(users)
        user_total, movie_total = user_total + users, movie_total + movies
    users, movies = user_total / (n_layers + 1), movie_total / (n_layers + 1)
    return (users if user_index is None else tf.gather(users, user_index)), movies


class DenseLayerByLayer(LightGCN):
    """Every step propagates K layers through the dense ``S`` (2K products with ``tf.matmul``)."""

    def _make_propagation(self):
        block = tf.constant(normalised_adjacency(self.seen_).toarray(), tf.float32)
        n_layers = self.n_layers

        def propagation(users, movies, user_index=None):
            return layer_mean(lambda dense: block @ dense,
                              lambda dense: tf.matmul(block, dense, transpose_a=True),
                              users, movies, n_layers, user_index)

        return propagation


class PropagationMatrix(LightGCN):
    """The layer mean as one dense matrix P, computed once per fit (``propagation_operator``); a
    step multiplies the layer-0 embeddings by P's movie rows and by its batch users' rows."""

    def _make_propagation(self):
        user_rows, movie_rows = map(tf.constant, propagation_operator(self.seen_, self.n_layers))

        def propagation(users, movies, user_index=None):
            nodes = tf.concat([users, movies], axis=0)
            rows = user_rows if user_index is None else tf.gather(user_rows, user_index)
            return rows @ nodes, movie_rows @ nodes

        return propagation


class RegisteredGradient(LightGCN):
    """The model with TensorFlow's registered gradient of the CSR product instead of its own."""

    def _make_propagation(self):
        block, n_layers = graph_block(self.seen_), self.n_layers

        def propagation(users, movies, user_index=None):
            matrix, transposed = sparse_matrices(block)
            return layer_mean(lambda dense: tf.raw_ops.SparseMatrixMatMul(a=matrix, b=dense),
                              lambda dense: tf.raw_ops.SparseMatrixMatMul(a=transposed, b=dense),
                              users, movies, n_layers, user_index)

        return propagation


def repeatability(train, test) -> dict:
    """Two identical reported fits per gradient: the largest difference between their final
    embeddings, and each fit's test NDCG@10."""
    record = {}
    for label, model_class in (("registered gradient", RegisteredGradient),
                               ("own gradient (the model)", LightGCN)):
        fits = [model_class().fit(train) for _ in range(2)]
        record[label] = {
            "max_embedding_difference": float(max(np.abs(a - b).max() for a, b in zip(
                fits[0].embeddings(), fits[1].embeddings()))),
            "test_ndcg@10": [fit.evaluate(test)["ndcg@10"] for fit in fits]}
    return record


def propagation_operator(interactions, n_layers: int) -> tuple[np.ndarray, np.ndarray]:
    """The user rows and movie rows of ``P = (I + Â + … + Âᴷ) / (K + 1)``. Column j is the layer
    mean started from node j alone; Â is bipartite, so its layers alternate sides."""
    block = normalised_adjacency(interactions).toarray().astype(np.float32)
    n_users, n_movies = block.shape
    users, movies = slice(0, n_users), slice(n_users, n_users + n_movies)
    operator = np.zeros((n_users + n_movies,) * 2, np.float32)
    for start, size in ((users, n_users), (movies, n_movies)):
        side, layer = start, np.eye(size, dtype=np.float32)
        for k in range(n_layers + 1):
            operator[side, start] += layer / (n_layers + 1)
            if k < n_layers:
                side, layer = (movies, block.T @ layer) if side == users else (users, block @ layer)
    return operator[users], operator[movies]


def to_tf_sparse(matrix: sp.spmatrix):
    coo = sp.coo_matrix(matrix)
    indices = np.stack([coo.row, coo.col], axis=1).astype("int64")
    return tf.sparse.reorder(tf.sparse.SparseTensor(indices, coo.data.astype("float32"),
                                                    coo.shape))


def variants(epochs: int) -> dict:
    """Label → (model class, constructor arguments)."""
    return {
        "prototype: eager, tf.sparse full Â, BPR 1,024 ratings/batch":
            (Prototype, {**PROTOTYPE_SETTING, "epochs": epochs}),
        "compiled, dense S, BPR 1,024 ratings/batch":
            (DenseLayerByLayer, {**PROTOTYPE_SETTING, "epochs": epochs + 2}),
        "compiled, dense S, softmax 64 users/batch":
            (DenseLayerByLayer, {"epochs": epochs + 2}),
        "compiled, dense P, softmax 64 users/batch":
            (PropagationMatrix, {"epochs": epochs + 2}),
        "the model: compiled, CSR S, softmax 64 users/batch":
            (LightGCN, {"epochs": epochs + 2}),
    }


def seconds_per_epoch(model) -> float:
    """The fastest epoch's training seconds, the first epoch (tracing, warm-up) excluded."""
    return min(record["seconds"] for record in model.history_[1:])


def batches_per_epoch(model) -> int:
    """Training steps per epoch; each step propagates the whole graph once."""
    rows = model.seen_.nnz if model.loss == "bpr" else model.seen_.shape[0]
    return -(-rows // model.batch_size)


def time_fits(train, test, repeats: int = 1) -> dict:
    """Whole reported fits (``LightGCN()``'s defaults) through the dense propagation matrix and
    through the sparse products (the model), alternated ``repeats`` times: process CPU seconds,
    wall seconds, test NDCG@10."""
    import time

    record = {}
    for _ in range(repeats):
        for label, model_class in (("dense propagation matrix P", PropagationMatrix),
                                   ("sparse S layer by layer (the model)", LightGCN)):
            cpu, wall = time.process_time(), time.perf_counter()
            model = model_class().fit(train)
            entry = record.setdefault(label, {"cpu_seconds": [], "wall_seconds": []})
            entry["cpu_seconds"].append(time.process_time() - cpu)
            entry["wall_seconds"].append(time.perf_counter() - wall)
            entry["test_ndcg@10"] = model.evaluate(test)["ndcg@10"]
    return record


def measure(train, epochs: int = 3, command: str = COMMAND) -> dict:
    """Time every variant on ``train``; returns the record written to the JSON file."""
    load_before = _load_average()
    per_epoch, batches = {}, {}
    for label, (model_class, arguments) in variants(epochs).items():
        model = model_class(n_layers=N_LAYERS, **arguments).fit(train)
        per_epoch[label] = seconds_per_epoch(model)
        batches[label] = batches_per_epoch(model)
    prototype = next(iter(per_epoch.values()))
    return {
        "command": command,
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"processor": platform.machine(), "cores": cpu_count(),
                    "load_average_1min": {"before": load_before, "after": _load_average()}},
        "n_layers": N_LAYERS,
        "epochs_timed": {label: arguments["epochs"] - 1
                         for label, (_, arguments) in variants(epochs).items()},
        "seconds_per_epoch": per_epoch,
        "speedup_vs_prototype": {label: prototype / seconds for label, seconds in per_epoch.items()},
        "batches_per_epoch": batches,
    }


def _load_average() -> float | None:
    """The 1-minute load average (other processes competing for the cores), where available."""
    import os

    return round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None


def main() -> None:
    from movierec_utils.data import load_ratings
    from movierec_utils.results import commit, library_versions
    from movierec_utils.splits import stratified_split

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3,
                        help="epochs of the prototype (the compiled variants run 2 more)")
    parser.add_argument("--fit-repeats", type=int, default=2,
                        help="whole reported fits through the dense propagation matrix and "
                             "through the sparse products, alternated")
    parser.add_argument("--output", type=Path, default=REPO / "results" / "lightgcn_speed.json",
                        help="where to write the record (default: the committed results/)")
    args = parser.parse_args()
    train, test = stratified_split(load_ratings("100k"), ratio=0.75, seed=42)
    command = " ".join([COMMAND, *sys.argv[1:]])
    record = measure(train, args.epochs, command)
    record["reported_fit"] = time_fits(train, test, args.fit_repeats)
    record["repeatability"] = repeatability(train, test)
    record["commit"] = commit()
    record["versions"] = library_versions()
    path = args.output
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    width = max(map(len, record["seconds_per_epoch"]))
    print(f"LightGCN, {N_LAYERS} layers, seconds per epoch (fastest epoch after the first):")
    for label, seconds in record["seconds_per_epoch"].items():
        print(f"  {label:<{width}} {seconds:7.3f} s  {record['speedup_vs_prototype'][label]:6.1f}×"
              f"  {record['batches_per_epoch'][label]:3d} batches/epoch")
    for label, entry in record["reported_fit"].items():
        print(f"  reported fit, {label}: CPU {min(entry['cpu_seconds']):.2f} s, wall "
              f"{min(entry['wall_seconds']):.2f} s, test NDCG@10 {entry['test_ndcg@10']:.4f}")
    for label, entry in record["repeatability"].items():
        print(f"  two identical fits, {label}: embeddings differ by up to "
              f"{entry['max_embedding_difference']:.2g}, test NDCG@10 "
              f"{', '.join(f'{value:.6f}' for value in entry['test_ndcg@10'])}")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
