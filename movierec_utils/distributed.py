"""Training the two-tower model with ``tf.distribute``: several workers, one global batch.

Runnable by hand; each run trains ``--steps`` steps of the full-softmax ``TwoTowerModel`` on
small synthetic ratings (:mod:`movierec_utils.synthetic`) and writes its final weights::

    # one process per worker, each with its own TF_CONFIG (here two workers on this machine):
    TF_CONFIG='{"cluster": {"worker": ["127.0.0.1:23456", "127.0.0.1:23457"]},
                "task": {"type": "worker", "index": 0}}' python -m movierec_utils.distributed --out w/
    TF_CONFIG='{… same cluster …, "task": {"type": "worker", "index": 1}}'  python -m … --out w/
    # one process, MirroredStrategy over two logical CPU devices:
    python -m movierec_utils.distributed --logical-cpus 2 --out w/
    # one process, no strategy: the reference, TwoTowerModel trained on the same global batches
    python -m movierec_utils.distributed --out w/

With TF_CONFIG the strategy is ``MultiWorkerMirroredStrategy``. The data are the same in every
process (same seed); every step's *global* batch of ``--global-batch`` users is split into equal
consecutive slices, one per replica (``distribute_datasets_from_function``: an explicit shard per
worker, nothing dropped or repeated). Each replica's loss is its share of the global batch's loss
(:class:`ReplicaTwoTowerModel`), so the gradients the optimizer sums across replicas are the
gradients of ``TwoTowerModel``'s loss on the whole global batch: the workers end with the weights
of single-process training, up to floating-point summation order.

The workers talk over gRPC to the addresses in TF_CONFIG; note that TensorFlow's server listens
on every interface of its port (seen as ``*:PORT`` with ``ss -ltn``), not only on the address
named in TF_CONFIG.

Nothing here imports TensorFlow at import time: a strategy (and logical devices) must be set up
before TensorFlow's runtime starts, which ``movierec_utils.tfenv`` does on import.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
from pathlib import Path

import numpy as np

import movierec_utils  # noqa: F401  (TF_USE_LEGACY_KERAS before TensorFlow)


@dataclasses.dataclass(frozen=True)
class Setup:
    """Everything that decides the training run; equal setups give equal global batches."""
    n_users: int = 128
    n_movies: int = 150
    n_ratings: int = 5_000
    data_seed: int = 0
    global_batch: int = 32        # users per step, split evenly across all replicas
    steps: int = 8
    embedding_dim: int = 16
    l2: float = 0.1
    learning_rate: float = 0.005
    optimizer: str = "adam"
    init_seed: int = 0


def global_batches(setup: Setup):
    """``(user_vocabulary, movie_vocabulary, user_ids, targets)``: ``user_ids[s]`` (strings) and
    ``targets[s]`` (multi-hot rows over the movie vocabulary) are step ``s``'s global batch. Users
    are visited in a seeded random order, epoch after epoch."""
    from movierec_utils.interactions import IdIndex, interaction_matrix
    from movierec_utils.synthetic import synthetic_ratings

    ratings = synthetic_ratings(setup.n_users, setup.n_movies, setup.n_ratings,
                                seed=setup.data_seed)
    users, movies = IdIndex(ratings["user_id"], "user id"), IdIndex(ratings["movie_id"], "movie id")
    seen = interaction_matrix(ratings, users, movies)  # sparse: only the batches' rows go dense
    rng = np.random.default_rng(setup.data_seed)
    needed = setup.steps * setup.global_batch
    epochs = -(-needed // len(users))
    order = np.concatenate([rng.permutation(len(users)) for _ in range(epochs)])[:needed]
    targets = seen[order].toarray().astype("float32").reshape(setup.steps, setup.global_batch, -1)
    order = order.reshape(setup.steps, setup.global_batch)
    return (users.ids.astype(str), movies.ids.astype(str), users.ids.astype(str)[order], targets)


def _replica_model_class():
    from movierec_utils.models.two_tower import (TwoTowerModel, catalogue_softmax_loss,
                                                 mean_squared_norm)
    from movierec_utils.tfenv import tf

    class ReplicaTwoTowerModel(TwoTowerModel):
        """``TwoTowerModel`` (full softmax) whose loss on a replica is that replica's *share* of
        the global batch's loss: the softmax term weighted by the replica's share of the batch's
        ratings, the user penalty by its share of the users, the catalogue penalty by 1/replicas.
        The shares add up to ``TwoTowerModel``'s loss on the global batch, so the gradients that
        the optimizer sums over replicas are that loss's gradients. With one replica it is
        ``TwoTowerModel``'s loss."""

        def compute_loss(self, features, training=False):
            if self.loss_name != "full_softmax":
                raise NotImplementedError("ReplicaTwoTowerModel scales the full softmax only")
            context = tf.distribute.get_replica_context()
            users = self.user_model(features["user_id"])
            movies = self.movie_model(self.all_movies)
            targets = features["targets"]
            local = tf.stack([tf.reduce_sum(targets), tf.cast(tf.shape(users)[0], tf.float32)])
            total = tf.stop_gradient(context.all_reduce(tf.distribute.ReduceOp.SUM, local))
            logits = tf.matmul(users, movies, transpose_b=True)
            softmax = catalogue_softmax_loss(logits, targets) * (local[0] / total[0])
            penalty = (mean_squared_norm(users) * (local[1] / total[1])
                       + mean_squared_norm(movies) / context.num_replicas_in_sync)
            return softmax + self.l2 * penalty

    return ReplicaTwoTowerModel


def initial_weights(model, seed: int) -> list[np.ndarray]:
    """Keras' embedding initialiser (uniform ±0.05) drawn with NumPy: the same in every process,
    whatever the strategy."""
    rng = np.random.default_rng(seed)
    return [rng.uniform(-0.05, 0.05, size=w.shape).astype(w.dtype) for w in model.get_weights()]


def build_model(setup: Setup, user_vocabulary, movie_vocabulary, replicated: bool):
    """A compiled two-tower model with the setup's initial weights; call inside
    ``strategy.scope()``. ``replicated``: :class:`ReplicaTwoTowerModel`, else ``TwoTowerModel``."""
    from movierec_utils.models.two_tower import TwoTowerModel, make_optimizer

    model_class = _replica_model_class() if replicated else TwoTowerModel
    model = model_class(user_vocabulary, movie_vocabulary, setup.embedding_dim,
                        loss="full_softmax", l2=setup.l2)
    model.user_model(user_vocabulary[:1])   # create the variables
    model.movie_model(movie_vocabulary[:1])
    model.set_weights(initial_weights(model, setup.init_seed))
    model.compile(optimizer=make_optimizer(setup.optimizer, setup.learning_rate))
    return model


def train(setup: Setup, strategy=None, scaled: bool = True):
    """Train ``setup.steps`` steps; returns ``(weights, losses)`` (``losses``: each step's loss as
    Keras reports it, summed over replicas). ``strategy=None``: the single-process reference,
    ``TwoTowerModel`` on the whole global batches; otherwise :class:`ReplicaTwoTowerModel` under
    ``strategy``, each replica fed its slice of every global batch (``scaled=False``: the plain
    ``TwoTowerModel`` instead, whose summed replica losses are *not* the global batch's loss —
    the control that shows the scaling matters)."""
    from movierec_utils.tfenv import tf

    user_vocabulary, movie_vocabulary, user_ids, targets = global_batches(setup)
    if strategy is None:
        model = build_model(setup, user_vocabulary, movie_vocabulary, replicated=False)
        dataset = tf.data.Dataset.from_tensor_slices(
            {"user_id": user_ids, "targets": targets})  # one element = one global batch
    else:
        if setup.global_batch % strategy.num_replicas_in_sync:
            raise ValueError(f"global batch {setup.global_batch} does not split evenly over "
                             f"{strategy.num_replicas_in_sync} replicas")
        with strategy.scope():
            model = build_model(setup, user_vocabulary, movie_vocabulary, replicated=scaled)
        dataset = strategy.distribute_datasets_from_function(
            lambda context: _replica_slices(context, setup, user_ids, targets, tf))
    losses = []
    record = tf.keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: losses.append(float(logs["loss"])))
    model.fit(dataset, epochs=1, steps_per_epoch=setup.steps, verbose=0, callbacks=[record])
    return [np.asarray(w) for w in model.get_weights()], losses


def _replica_slices(context, setup: Setup, user_ids, targets, tf):
    """This input pipeline's data: for each step, the consecutive slices of the global batch that
    belong to its replicas, in replica order, batched per replica."""
    per_replica = context.get_per_replica_batch_size(setup.global_batch)
    replicas_here = context.num_replicas_in_sync // context.num_input_pipelines
    first = context.input_pipeline_id * replicas_here * per_replica
    rows = slice(first, first + replicas_here * per_replica)
    features = {"user_id": user_ids[:, rows].reshape(-1),
                "targets": targets[:, rows].reshape(-1, targets.shape[-1])}
    return tf.data.Dataset.from_tensor_slices(features).batch(per_replica)


def make_strategy(logical_cpus: int = 0, collective_timeout: float = 60.0):
    """The strategy for this process, created before anything else starts TensorFlow's runtime:
    ``MultiWorkerMirroredStrategy`` when ``TF_CONFIG`` names a cluster, ``MirroredStrategy``
    over ``logical_cpus`` logical CPU devices when that is ≥ 2, else ``None`` (no strategy)."""
    if not os.environ.get("TF_CONFIG") and logical_cpus < 2:
        return None
    import tensorflow as tf

    if os.environ.get("TF_CONFIG"):
        options = tf.distribute.experimental.CommunicationOptions(
            timeout_seconds=collective_timeout)  # a lost peer fails the step instead of hanging
        return tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
    if logical_cpus >= 2:
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(logical_cpus)])
        return tf.distribute.MirroredStrategy([f"/cpu:{i}" for i in range(logical_cpus)])
    return None


def free_loopback_ports(count: int) -> list[int]:
    """``count`` TCP ports free on 127.0.0.1 right now (the OS picks them; another program could
    still take one before a worker binds it)."""
    import socket

    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def tf_config(cluster: dict, task_type: str, index: int) -> str:
    return json.dumps({"cluster": cluster, "task": {"type": task_type, "index": index}})


def run_local_processes(commands, folder: Path, timeout: float, wait_for=None) -> list[dict]:
    """Run ``commands`` (``(argv, env)`` pairs) at once, each in its own process group with its
    stdout/stderr in ``folder``; wait until those in ``wait_for`` (default: all) have ended, one
    has failed, or ``timeout`` seconds have passed; then kill every process still running. Returns
    per process ``code`` (None if killed), ``status`` (a sentence) and ``stderr_tail``."""
    import signal
    import subprocess
    import time

    wait_for = range(len(commands)) if wait_for is None else wait_for
    processes, logs = [], []
    try:
        for index, (argv, env) in enumerate(commands):
            logs.append(folder / f"process{index}.stderr")
            with open(logs[-1], "w") as stderr, \
                    open(folder / f"process{index}.stdout", "w") as stdout:
                processes.append(subprocess.Popen(argv, env=env, stdout=stdout, stderr=stderr,
                                                  start_new_session=True))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            codes = [process.poll() for process in processes]
            if all(codes[i] is not None for i in wait_for) \
                    or any(code not in (None, 0) for code in codes):
                break
            time.sleep(0.2)
        codes = [process.poll() for process in processes]
        timed_out = time.monotonic() >= deadline
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
    results = []
    for index, (code, log) in enumerate(zip(codes, logs)):
        if code is not None:
            status = f"exit code {code}"
        elif index not in wait_for:
            status = "stopped (a server, once the others had ended)"
        else:
            status = "killed at the time limit" if timed_out else \
                "killed after another process failed"
        tail = log.read_text(errors="replace").splitlines()[-25:] if log.exists() else []
        results.append({"code": code, "status": status, "stderr_tail": "\n".join(tail)})
    return results


def save_weights(path: Path, weights, losses, **metadata) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, *weights, losses=np.asarray(losses),
             metadata=np.asarray(json.dumps(metadata)))


def load_weights(path: Path) -> list[np.ndarray]:
    with np.load(path) as saved:
        return [saved[f"arr_{i}"] for i in range(len(saved.files) - 2)]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for the weights file")
    parser.add_argument("--logical-cpus", type=int, default=0,
                        help="without TF_CONFIG: MirroredStrategy over this many logical CPUs")
    parser.add_argument("--collective-timeout", type=float, default=60.0)
    for field in dataclasses.fields(Setup):
        parser.add_argument(f"--{field.name.replace('_', '-')}", type=type(field.default),
                            default=field.default)
    args = parser.parse_args(argv)
    strategy = make_strategy(args.logical_cpus, args.collective_timeout)  # before TF starts
    setup = Setup(**{field.name: getattr(args, field.name) for field in dataclasses.fields(Setup)})
    if os.environ.get("TF_CONFIG"):
        task = json.loads(os.environ["TF_CONFIG"])["task"]
        name = f"weights-{task['type']}{task['index']}.npz"
    else:
        name = f"weights-mirrored{args.logical_cpus}.npz" if strategy else "weights-single.npz"
    weights, losses = train(setup, strategy)
    replicas = strategy.num_replicas_in_sync if strategy else 1
    save_weights(args.out / name, weights, losses, setup=dataclasses.asdict(setup),
                 strategy=type(strategy).__name__ if strategy else None, replicas=replicas)
    print(f"{name}: {len(losses)} steps on {replicas} replica(s), last step loss "
          f"{losses[-1]:.6f}, weights in {args.out / name}", flush=True)


if __name__ == "__main__":
    main()
