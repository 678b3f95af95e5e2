"""By-hand check (not a unit test): the two-tower model's embedding tables sharded over two
parameter servers with ``ParameterServerStrategy``, on 127.0.0.1.

    .venv/bin/python benchmarks/parameter_server_check.py

Starts four processes on loopback ports chosen at run time — a coordinator (``chief``), one
``worker`` and two ``ps`` tasks — each with its TF_CONFIG; the worker and the parameter servers
are plain ``tf.distribute.Server``s and are stopped when the coordinator ends (hard limit 180 s).
The coordinator builds ``TwoTowerModel`` under ``ParameterServerStrategy`` with
``FixedShardsPartitioner(2)``, trains the ``benchmarks.distributed`` setup with SGD through
``Model.fit(DatasetCreator(...))`` and prints where each embedding shard lives and how far the
trained tables are from single-process training on the same global batches.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import movierec_utils  # noqa: F401  (before TensorFlow)
from benchmarks import distributed

REPO = Path(__file__).resolve().parents[1]
SETUP = distributed.Setup(optimizer="sgd", learning_rate=5.0)


def serve(cluster: dict, job: str, index: int) -> None:
    import tensorflow as tf

    tf.distribute.Server(tf.train.ClusterSpec(cluster), job_name=job, task_index=index,
                         protocol="grpc", start=True).join()


def coordinate() -> None:
    import numpy as np
    import tensorflow as tf

    strategy = tf.distribute.ParameterServerStrategy(
        tf.distribute.cluster_resolver.TFConfigClusterResolver(),
        variable_partitioner=tf.distribute.experimental.partitioners.FixedShardsPartitioner(2))
    users, movies, user_ids, targets = distributed.global_batches(SETUP)
    with strategy.scope():
        # initial_weights draws the shards one after another from one stream: row shards in
        # order get exactly the rows the unsharded tables get in single-process training.
        model = distributed.build_model(SETUP, users, movies, replicated=False)

    def dataset_fn(context):
        return tf.data.Dataset.from_tensor_slices({"user_id": user_ids, "targets": targets})

    # One worker: its steps run one after another, in order, as in a single process.
    model.fit(tf.keras.utils.experimental.DatasetCreator(dataset_fn), epochs=1,
              steps_per_epoch=SETUP.steps, verbose=0)
    tables = {"user": model.user_model.layers[1], "movie": model.movie_model.layers[1]}
    shards = {name: [(list(v.shape), v.device) for v in layer.weights]
              for name, layer in tables.items()}
    trained = [np.concatenate([v.numpy() for v in layer.weights]) for layer in tables.values()]
    reference, _ = distributed.train(SETUP)  # no strategy, the same initial weights and batches
    difference = max(float(np.abs(a - b).max()) for a, b in zip(trained, reference))
    print(json.dumps({"shards": shards, "max_abs_difference_vs_single_process": difference}))


def main() -> None:
    if len(sys.argv) > 1:  # a child: its TF_CONFIG is already in the environment
        cluster = json.loads(os.environ["TF_CONFIG"])["cluster"]
        task = json.loads(os.environ["TF_CONFIG"])["task"]
        serve(cluster, task["type"], task["index"]) if sys.argv[1] == "serve" else coordinate()
        return
    ports = distributed.free_loopback_ports(4)
    cluster = {"chief": [f"127.0.0.1:{ports[0]}"], "worker": [f"127.0.0.1:{ports[1]}"],
               "ps": [f"127.0.0.1:{ports[2]}", f"127.0.0.1:{ports[3]}"]}
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "2"}
    tasks = [("worker", 0, "serve"), ("ps", 0, "serve"), ("ps", 1, "serve"),
             ("chief", 0, "coordinate")]
    commands = [([sys.executable, __file__, role],
                 {**env, "TF_CONFIG": distributed.tf_config(cluster, job, index)})
                for job, index, role in tasks]
    with tempfile.TemporaryDirectory() as folder:
        results = distributed.run_local_processes(commands, Path(folder), timeout=180,
                                                  wait_for=[3])
        output = (Path(folder) / "process3.stdout").read_text()
    for (job, index, _), result in zip(tasks, results):
        print(f"{job}:{index}: {result['status']}")
    if results[3]["code"] != 0:
        sys.exit(f"the coordinator failed:\n{results[3]['stderr_tail']}")
    report = json.loads(output.strip().splitlines()[-1])
    for table, shards in report["shards"].items():
        for shape, device in shards:
            print(f"{table} table shard {shape} on {device}")
    print("max |trained - single-process| over both tables: "
          f"{report['max_abs_difference_vs_single_process']:.3g}")


if __name__ == "__main__":
    main()
