"""Distributed training of the two-tower model equals single-process training.

Two MultiWorkerMirroredStrategy workers on 127.0.0.1 (separate processes, TF_CONFIG each), and
MirroredStrategy over two logical CPU devices (a fresh process: logical devices are fixed when
TensorFlow starts), are compared with ``TwoTowerModel`` trained in this process on the same
global batches from the same initial weights.

Tolerance: the replicas' partial gradients are computed over half batches and then added, so
sums are grouped differently than in one process (with two replicas the all-reduce order itself
cannot matter: a + b == b + a). Measured max |difference| after 8 steps: 7.5e-8 with Adam
(lr 0.005) and 7.5e-9 with SGD (lr 5), for weights within ±0.1; TOLERANCE is 1e-6. The plain
``TwoTowerModel`` under the same strategy (no loss scaling) ends 2e-2 (Adam) / 7e-3 (SGD) away.
"""
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks import distributed
from benchmarks.distributed import Setup, load_weights

REPO = Path(__file__).resolve().parents[1]
TOLERANCE = 1e-6          # max |weight difference| vs single-process training (see docstring)
TIMEOUT_SECONDS = 120     # per group of worker processes, then they are killed
ADAM = Setup()                                          # the repository's optimizer settings
SGD = Setup(optimizer="sgd", learning_rate=5.0)          # steps proportional to the gradient


@pytest.fixture(scope="module")
def single_process():
    """``TwoTowerModel`` trained in this process, no strategy: ``{name: (weights, losses)}``."""
    return {"adam": distributed.train(ADAM), "sgd": distributed.train(SGD)}


def max_difference(first, second) -> float:
    assert [w.shape for w in first] == [w.shape for w in second]
    return max(float(np.abs(a - b).max()) for a, b in zip(first, second))


def child_environment(**extra) -> dict:
    env = {key: value for key, value in os.environ.items() if key != "TF_CONFIG"}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return {**env, **extra}


def run_processes(commands: list[tuple[list[str], dict]], folder: Path, what: str) -> None:
    """Run the commands at once; fail with each one's stderr tail unless all exit with 0 within
    TIMEOUT_SECONDS (processes still running then, or after another failed, are killed)."""
    results = distributed.run_local_processes(commands, folder, TIMEOUT_SECONDS)
    if any(result["code"] != 0 for result in results):
        tails = "\n".join(f"--- process {i}: {result['status']}, stderr tail:\n"
                          f"{result['stderr_tail']}" for i, result in enumerate(results))
        pytest.fail(f"{what} failed (limit {TIMEOUT_SECONDS} s):\n{tails}", pytrace=False)


def test_each_global_batch_is_split_into_disjoint_consecutive_slices():
    from movierec_utils.tfenv import tf

    setup = Setup(steps=3, global_batch=8, n_users=40, n_movies=30, n_ratings=900)
    _, _, user_ids, targets = distributed.global_batches(setup)
    shards = []
    for pipeline in range(2):  # two workers, one replica each
        context = tf.distribute.InputContext(num_input_pipelines=2, input_pipeline_id=pipeline,
                                             num_replicas_in_sync=2)
        shards.append(list(distributed._replica_slices(context, setup, user_ids, targets, tf)))
    for step in range(setup.steps):
        halves = [shards[pipeline][step] for pipeline in range(2)]
        np.testing.assert_array_equal(
            np.concatenate([h["user_id"].numpy().astype(str) for h in halves]), user_ids[step])
        np.testing.assert_array_equal(
            np.concatenate([h["targets"].numpy() for h in halves]), targets[step])
    assert len(set(user_ids[0])) == setup.global_batch  # no user twice within a step


def test_replica_loss_on_one_device_is_the_two_tower_loss(single_process):
    """Under the default (no-op) strategy the replica-scaled model trains exactly like
    ``TwoTowerModel``: its scale factors are 1."""
    from movierec_utils.tfenv import tf

    weights, losses = distributed.train(ADAM, tf.distribute.get_strategy())
    reference_weights, reference_losses = single_process["adam"]
    assert max_difference(weights, reference_weights) == 0.0
    assert losses == reference_losses


def test_two_workers_on_loopback_match_single_process_training(tmp_path, single_process):
    cluster = {"worker": [f"127.0.0.1:{port}" for port in distributed.free_loopback_ports(2)]}
    command = [sys.executable, "-m", "benchmarks.distributed", "--out", str(tmp_path),
               "--collective-timeout", "60"]
    run_processes([(command, child_environment(TF_CONFIG=distributed.tf_config(
        cluster, "worker", index))) for index in range(2)],
        tmp_path, "two MultiWorkerMirroredStrategy workers")
    worker0 = load_weights(tmp_path / "weights-worker0.npz")
    worker1 = load_weights(tmp_path / "weights-worker1.npz")
    assert all(np.array_equal(a, b) for a, b in zip(worker0, worker1)), \
        "the two workers ended with different weights"
    reference_weights, reference_losses = single_process["adam"]
    assert max_difference(worker0, reference_weights) <= TOLERANCE
    with np.load(tmp_path / "weights-worker0.npz") as saved:
        np.testing.assert_allclose(saved["losses"], reference_losses, rtol=1e-6)
        assert json.loads(str(saved["metadata"]))["replicas"] == 2


MIRRORED_SCRIPT = """
import json, sys
from pathlib import Path
from benchmarks import distributed
strategy = distributed.make_strategy(logical_cpus=2)   # before TensorFlow's runtime starts
out = Path(sys.argv[1])
for name, fields, scaled in json.loads(sys.argv[2]):
    weights, losses = distributed.train(distributed.Setup(**fields), strategy, scaled=scaled)
    distributed.save_weights(out / f"{name}.npz", weights, losses,
                             replicas=strategy.num_replicas_in_sync)
"""


def test_mirrored_over_two_logical_cpus_matches_single_device(tmp_path, single_process):
    # SGD here (its steps are proportional to the gradient, so a wrong gradient scale shows),
    # Adam with the workers above.
    runs = [("sgd", vars(SGD), True), ("adam_unscaled", vars(ADAM), False)]
    run_processes([([sys.executable, "-c", MIRRORED_SCRIPT, str(tmp_path), json.dumps(runs)],
                    child_environment())], tmp_path, "MirroredStrategy over two logical CPUs")
    with np.load(tmp_path / "sgd.npz") as saved:
        assert json.loads(str(saved["metadata"]))["replicas"] == 2
        np.testing.assert_allclose(saved["losses"], single_process["sgd"][1], rtol=1e-6)
    weights = load_weights(tmp_path / "sgd.npz")
    assert max_difference(weights, single_process["sgd"][0]) <= TOLERANCE
    # The control: without the replica loss scaling the result is far off, so the check bites.
    unscaled = load_weights(tmp_path / "adam_unscaled.npz")
    assert max_difference(unscaled, single_process["adam"][0]) > 1000 * TOLERANCE


# --------------------------------------------------------------------------- bad input (issue 24)
GOOD_CLUSTER = {"worker": ["127.0.0.1:23456", "127.0.0.1:23457"]}
BAD_TF_CONFIGS = {
    "malformed JSON": ('{"cluster": ', r"is not valid JSON: Expecting value at line 1 column 13"),
    "empty": ("  ", r"is empty"),
    "a list": ("[1]", r"must be a JSON object, got a list"),
    "no task": (json.dumps({"cluster": GOOD_CLUSTER}), r"has no 'task' entry \(it has \['cluster'\]\)"),
    "no cluster": (json.dumps({"task": {"type": "worker", "index": 0}}), r"has no 'cluster' entry"),
    "index a string": (json.dumps({"cluster": GOOD_CLUSTER, "task": {"type": "worker", "index": "0"}}),
                       r"'task'\['index'\] must be a whole number, got '0' \(str\)"),
    "index a bool": (json.dumps({"cluster": GOOD_CLUSTER, "task": {"type": "worker", "index": True}}),
                     r"'task'\['index'\] must be a whole number, got True \(bool\)"),
    "index outside": (json.dumps({"cluster": GOOD_CLUSTER, "task": {"type": "worker", "index": 2}}),
                      r"'task'\['index'\] is 2, but the cluster has 2 worker\(s\): indices 0 to 1"),
    "unknown type": (json.dumps({"cluster": GOOD_CLUSTER, "task": {"type": "chief", "index": 0}}),
                     r"'task'\['type'\] is 'chief', not a role of the cluster \(\['worker'\]\)"),
    "task a list": (json.dumps({"cluster": GOOD_CLUSTER, "task": ["worker", 0]}), r"'task' must be an object"),
    "addresses a string": (json.dumps({"cluster": {"worker": "127.0.0.1:1"},
                                       "task": {"type": "worker", "index": 0}}),
                           r"'cluster'\['worker'\] must be a non-empty list of \"host:port\" strings"),
    "no port": (json.dumps({"cluster": {"worker": ["localhost"]}, "task": {"type": "worker", "index": 0}}),
                r"'cluster'\['worker'\]\[0\] is 'localhost': not of the form host:port"),
    "bad port": (json.dumps({"cluster": {"worker": ["h:99999"]}, "task": {"type": "worker", "index": 0}}),
                 r"'cluster'\['worker'\]\[0\] is 'h:99999': its port '99999' is not a number from 1 to "
                 r"65535"),
    "parameter servers": (json.dumps({"cluster": {"ps": ["h:1"]}, "task": {"type": "ps", "index": 0}}),
                          r"'cluster' has the role 'ps'; MultiWorkerMirroredStrategy trains with 'chief' and "
                          r"'worker' only"),
}


@pytest.mark.parametrize("text, message", BAD_TF_CONFIGS.values(), ids=BAD_TF_CONFIGS)
def test_a_bad_tf_config_is_named_with_what_is_expected(text, message):
    with pytest.raises(distributed.TFConfigError, match=rf"^TF_CONFIG {message}.*Expected JSON like "
                                                        r"\{\"cluster\""):
        distributed.parse_tf_config(text)


def test_the_command_refuses_a_bad_tf_config_before_tensorflow_starts(tmp_path):
    import subprocess

    result = subprocess.run([sys.executable, "-m", "benchmarks.distributed", "--out",
                             str(tmp_path)], env=child_environment(TF_CONFIG='{"task": 1'),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "error: TF_CONFIG is not valid JSON: Expecting" in result.stderr
    assert "Traceback" not in result.stderr and not list(tmp_path.iterdir())


def start_lonely_worker(tmp_path, peer_timeout: float):
    """Worker 0 of a two-worker cluster whose worker 1 never starts, and its own port."""
    import subprocess

    own, missing = distributed.free_loopback_ports(2)
    cluster = {"worker": [f"127.0.0.1:{own}", f"127.0.0.1:{missing}"]}
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.distributed", "--out", str(tmp_path),
         "--peer-timeout", str(peer_timeout)],
        env=child_environment(TF_CONFIG=distributed.tf_config(cluster, "worker", 0)),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    return process, own, missing


def finish(process, seconds: float):
    import signal
    import subprocess

    try:
        return process.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"the worker was still running after {seconds} s and had to be killed")


def test_a_worker_whose_peer_never_starts_gives_up_naming_it(tmp_path):
    """Before: it waited silently for more than ten minutes."""
    process, _, missing = start_lonely_worker(tmp_path, peer_timeout=15)
    _, stderr = finish(process, TIMEOUT_SECONDS)
    assert process.returncode == 3, stderr[-2000:]
    assert (f"gave up after 15 s waiting for the cluster in TF_CONFIG to form: not reachable: "
            f"worker 1 at 127.0.0.1:{missing}") in stderr


@pytest.mark.parametrize("signal_name, code", [("SIGTERM", 143), ("SIGINT", 130)])
def test_a_waiting_worker_stops_on_sigterm_and_sigint(tmp_path, signal_name, code):
    """Before: only SIGKILL stopped a worker waiting for its peer inside TensorFlow."""
    import signal
    import socket
    import time

    process, own, _ = start_lonely_worker(tmp_path, peer_timeout=600)
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while time.monotonic() < deadline and process.poll() is None:  # TensorFlow's server is up:
        try:                                                        # it waits for its peer now
            socket.create_connection(("127.0.0.1", own), timeout=1).close()
            break
        except OSError:
            time.sleep(0.5)
    assert process.poll() is None, "the worker ended before it was signalled"
    time.sleep(2)
    process.send_signal(getattr(signal, signal_name))
    _, stderr = finish(process, 30)
    assert process.returncode == code, stderr[-2000:]
    assert f"stopped by {signal_name}: training interrupted, nothing written." in stderr
