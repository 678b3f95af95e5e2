"""Training the two-tower model with ``tf.distribute``: several workers, one global batch.

Runnable by hand; each run trains ``--steps`` steps of the full-softmax ``TwoTowerModel`` on
small synthetic ratings (:mod:`benchmarks.synthetic`) and writes its final weights::

    # one process per worker, each with its own TF_CONFIG (here two workers on this machine):
    TF_CONFIG='{"cluster": {"worker": ["127.0.0.1:23456", "127.0.0.1:23457"]},
                "task": {"type": "worker", "index": 0}}' python -m benchmarks.distributed --out w/
    TF_CONFIG='{… same cluster …, "task": {"type": "worker", "index": 1}}'  python -m … --out w/
    # one process, MirroredStrategy over two logical CPU devices:
    python -m benchmarks.distributed --logical-cpus 2 --out w/
    # one process, no strategy: the reference, TwoTowerModel trained on the same global batches
    python -m benchmarks.distributed --out w/

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

Failing clearly: ``TF_CONFIG`` is checked before TensorFlow sees it (:func:`parse_tf_config`:
malformed JSON, a missing ``cluster`` or ``task``, wrong types, an index outside the cluster, an
address that is not ``host:port`` — each a :class:`TFConfigError` saying what is wrong and what
is expected). A worker waits at most ``--peer-timeout`` seconds (default 120) for the cluster to
form, then exits naming the peers it could not reach; SIGINT (Ctrl-C) and SIGTERM stop it at
once, even while TensorFlow waits inside C++ (the command trains in a child process that its
parent watches; see :func:`supervise`).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import socket
import sys
import time
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
    from benchmarks.synthetic import synthetic_ratings

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


EXAMPLE_TF_CONFIG = ('{"cluster": {"worker": ["127.0.0.1:23456", "127.0.0.1:23457"]}, '
                     '"task": {"type": "worker", "index": 0}}')
#: Roles MultiWorkerMirroredStrategy trains with (no parameter servers).
ROLES = ("chief", "worker")


class TFConfigError(ValueError):
    """``TF_CONFIG`` is not a cluster description this module can train with."""


def parse_tf_config(text: str) -> dict:
    """The ``TF_CONFIG`` JSON as a dict, checked: ``{"cluster": {role: ["host:port", …]},
    "task": {"type": role, "index": i}}`` with roles among :data:`ROLES`, and ``0 ≤ i <`` the
    role's number of addresses. Anything else raises :class:`TFConfigError` naming the problem."""
    def fail(problem: str):
        raise TFConfigError(f"TF_CONFIG {problem}. Expected JSON like {EXAMPLE_TF_CONFIG} (one "
                            "process per address, each with its own task index).")

    if not isinstance(text, str) or not text.strip():
        fail(f"is empty (got {text!r})")
    try:
        config = json.loads(text)
    except json.JSONDecodeError as error:
        fail(f"is not valid JSON: {error.msg} at line {error.lineno} column {error.colno} of "
             f"{text!r}")
    if not isinstance(config, dict):
        fail(f"must be a JSON object, got a {type(config).__name__}: {config!r}")
    for key in ("cluster", "task"):
        if key not in config:
            fail(f"has no {key!r} entry (it has {sorted(config)})")
    cluster, task = config["cluster"], config["task"]
    if not isinstance(cluster, dict) or not cluster:
        fail(f"'cluster' must be a non-empty object mapping roles to address lists, got "
             f"{cluster!r}")
    for role, addresses in cluster.items():
        if role not in ROLES:
            fail(f"'cluster' has the role {role!r}; MultiWorkerMirroredStrategy trains with "
                 f"{' and '.join(repr(r) for r in ROLES)} only")
        if not isinstance(addresses, list) or not addresses:
            fail(f"'cluster'['{role}'] must be a non-empty list of \"host:port\" strings, got "
                 f"{addresses!r}")
        for index, address in enumerate(addresses):
            problem = _address_problem(address)
            if problem:
                fail(f"'cluster'['{role}'][{index}] is {address!r}: {problem}")
    if not isinstance(task, dict):
        fail(f"'task' must be an object like {{\"type\": \"worker\", \"index\": 0}}, got "
             f"{task!r}")
    for key in ("type", "index"):
        if key not in task:
            fail(f"'task' has no {key!r} (it has {sorted(task)})")
    role, index = task["type"], task["index"]
    if not isinstance(role, str) or role not in cluster:
        fail(f"'task'['type'] is {role!r}, not a role of the cluster ({sorted(cluster)})")
    if isinstance(index, bool) or not isinstance(index, int):
        fail(f"'task'['index'] must be a whole number, got {index!r} "
             f"({type(index).__name__})")
    if not 0 <= index < len(cluster[role]):
        fail(f"'task'['index'] is {index}, but the cluster has {len(cluster[role])} "
             f"{role}(s): indices 0 to {len(cluster[role]) - 1}")
    return config


def _address_problem(address) -> str | None:
    if not isinstance(address, str):
        return f"not a string but a {type(address).__name__}"
    host, colon, port = address.rpartition(":")
    if not colon or not host:
        return "not of the form host:port"
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        return f"its port {port!r} is not a number from 1 to 65535"
    return None


def peers(config: dict) -> list[tuple[str, int, str]]:
    """``(role, index, address)`` of every other task of the cluster."""
    me = (config["task"]["type"], config["task"]["index"])
    return [(role, index, address) for role, addresses in config["cluster"].items()
            for index, address in enumerate(addresses) if (role, index) != me]


def unreachable(peer_list, seconds: float = 1.0) -> list[str]:
    """Sentences naming the peers that refuse or do not answer a TCP connection now."""
    missing = []
    for role, index, address in peer_list:
        host, _, port = address.rpartition(":")
        try:
            with socket.create_connection((host.strip("[]"), int(port)), timeout=seconds):
                pass
        except OSError as error:
            missing.append(f"{role} {index} at {address} ({error.strerror or error})")
    return missing


class PeerTimeoutError(RuntimeError):
    """The cluster did not form within the peer timeout."""


#: Environment variable naming the pipe a supervised training process reports "formed" on.
_READY_FD = "MOVIEREC_DISTRIBUTED_READY_FD"


def supervise(argv: list[str], peer_list=(), peer_timeout: float | None = None,
              stream=None) -> int:
    """Run this command's training in a child process and watch it; return its exit code.

    While the cluster forms, TensorFlow blocks inside C++ holding Python's lock and replaces the
    signal handlers, so a process cannot watch itself. This parent (no TensorFlow) can: on
    SIGINT or SIGTERM it kills the child's process group, says what stopped the run and returns
    128 + the signal number (130 for Ctrl-C, 143 for SIGTERM); with ``peer_timeout``, when the
    child has not reported the strategy created within that many seconds, it kills the child
    and returns 3, naming the peers of ``peer_list`` it cannot reach."""
    import select
    import subprocess

    stream = stream or sys.stderr
    received: list[int] = []
    previous = {number: signal.signal(number, lambda number, frame: received.append(number))
                for number in (signal.SIGINT, signal.SIGTERM)}
    read_end, write_end = os.pipe()
    try:
        child = subprocess.Popen([sys.executable, "-m", "benchmarks.distributed", *argv],
                                 env={**os.environ, _READY_FD: str(write_end)},
                                 pass_fds=(write_end,), start_new_session=True)
        os.close(write_end)
        deadline = None if peer_timeout is None else time.monotonic() + peer_timeout
        formed = False
        while child.poll() is None:
            if received:
                _kill(child)
                name = signal.Signals(received[0]).name
                print(f"\nstopped by {name}: training interrupted, nothing written.",
                      file=stream, flush=True)
                return 128 + received[0]
            try:
                readable = select.select([read_end], [], [], 0.2)[0]
            except InterruptedError:
                continue
            if readable and os.read(read_end, 16):
                formed = True
            if deadline is not None and not formed and time.monotonic() >= deadline:
                _kill(child)
                missing = unreachable(peer_list)
                named = ("; ".join(missing) if missing else
                         "every peer's port answers, but not every peer joined the cluster "
                         "(is each started with its own task index?)")
                print(f"\ngave up after {peer_timeout:g} s waiting for the cluster in "
                      f"TF_CONFIG to form: not reachable: {named}. Start every worker listed "
                      "in TF_CONFIG (each with its own task index) within --peer-timeout "
                      "seconds, or check the addresses.", file=stream, flush=True)
                return 3
        return child.returncode
    finally:
        os.close(read_end)
        for number, handler in previous.items():
            signal.signal(number, handler)


def _kill(child) -> None:
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    child.wait()


def _report_formed() -> None:
    """In a supervised child: tell the parent the strategy exists (the cluster has formed)."""
    fd = os.environ.pop(_READY_FD, None)
    if fd is not None:
        os.write(int(fd), b"formed")
        os.close(int(fd))


def make_strategy(logical_cpus: int = 0, collective_timeout: float = 60.0):
    """The strategy for this process, created before anything else starts TensorFlow's runtime:
    ``MultiWorkerMirroredStrategy`` when ``TF_CONFIG`` names a cluster (checked first with
    :func:`parse_tf_config`), ``MirroredStrategy`` over ``logical_cpus`` logical CPU devices
    when that is ≥ 2, else ``None`` (no strategy)."""
    if not os.environ.get("TF_CONFIG") and logical_cpus < 2:
        return None
    if os.environ.get("TF_CONFIG"):
        parse_tf_config(os.environ["TF_CONFIG"])
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
    parser.add_argument("--collective-timeout", type=float, default=60.0,
                        help="seconds a step waits for a lost peer before failing")
    parser.add_argument("--peer-timeout", type=float, default=120.0,
                        help="seconds to wait for every worker of TF_CONFIG to join")
    for field in dataclasses.fields(Setup):
        parser.add_argument(f"--{field.name.replace('_', '-')}", type=type(field.default),
                            default=field.default)
    args = parser.parse_args(argv)
    for name in ("collective_timeout", "peer_timeout"):
        value = getattr(args, name)
        if not 0 < value < float("inf"):
            parser.error(f"--{name.replace('_', '-')} must be a number of seconds > 0, got "
                         f"{value}")
    config = None
    if os.environ.get("TF_CONFIG"):
        try:
            config = parse_tf_config(os.environ["TF_CONFIG"])
        except TFConfigError as error:
            parser.exit(2, f"{parser.prog}: error: {error}\n")
    if _READY_FD not in os.environ:  # the command as typed: supervise a child that trains
        raise SystemExit(supervise(list(sys.argv[1:] if argv is None else argv),
                                   peers(config) if config else (),
                                   args.peer_timeout if config else None))
    strategy = make_strategy(args.logical_cpus, args.collective_timeout)  # before TF starts
    _report_formed()
    setup = Setup(**{field.name: getattr(args, field.name) for field in dataclasses.fields(Setup)})
    if config:
        task = config["task"]
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
