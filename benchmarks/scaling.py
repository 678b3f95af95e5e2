"""How each model's cost grows with the data: training seconds per epoch, evaluation seconds and
peak memory on MovieLens-*shaped synthetic* data of 100k, 1M, 10M and 25M ratings (not a test).

    .venv/bin/python benchmarks/scaling.py [--sizes 100k 1m 10m 25m] [--runs two_tower ...]
                                           [--out results/scaling.json]

The data are ``synthetic_ratings`` at the real datasets' user × movie × rating counts (only ML-100k
exists on these machines; the generator's shape is fitted to it), split 75 : 25 per user with
``stratified_split(seed=42)``. Each (run, size) pair is a fresh subprocess, so its peak resident
memory (``ru_maxrss``: data, model and evaluation together) is its own. A run is a model in one
configuration (RUNS):

* ``two_tower``, ``gnn``, ``dnn``: the configurations the notebooks report (full softmax over the
  catalogue, batches of 64 users);
* ``two_tower_logq``: the two-tower with log-Q corrected in-batch softmax, 1,024 ratings a batch —
  the objective TFRS uses for large catalogues;
* ``two_tower_logq_adagrad``: the same with Adagrad (TFRS's tutorials' optimizer), whose update
  touches only the embedding rows a batch used — Keras' Adam decays *every* row's moments at
  every step;
* ``gnn_bpr_16_steps``: LightGCN with BPR and 16 steps an epoch (batch = ratings / 16): it
  propagates the graph once a step, so a fixed number of steps keeps an epoch's cost linear in
  the ratings (its quality at that batching is not measured here). The records also hold
  ``gnn_bpr_16_steps_sparse``, measured while the model kept ``S`` dense up to about ML-1M: the
  same with the sparse ``S`` at every size, which the model now always uses (so it is no longer run);
* ``ease``: the closed form (its "epoch" is the whole fit); over ``max_bytes`` it refuses, and the
  benchmark records the refusal and then fits the bounded variant with the ``max_items`` the
  message names.

Training seconds are the last epoch's (``history_``; 2 epochs below 25M, so what a first epoch
costs beyond a second — tracing, the input pipeline's first pass — is not counted; 1 at 25M,
where it is, so growth to 25M is an upper bound). For the reported LightGCN and deep model, whose
epochs grow fastest (LightGCN propagates the whole graph for every batch of 64 users; the deep
model runs its movie tower over the whole catalogue for every batch), the run first times
``--probe-steps`` training steps; when ``steps × seconds per step`` exceeds ``--max-epoch-minutes``
it records that projection, marked ``"projected"``, instead of training (and evaluates the
initialised model: ranking costs the same). Evaluation is the full-ranking
``evaluate(test, k=10)`` over every user. Writes ``results/scaling.json`` (merging with the runs
already there), which the appendix notebook (notebooks/appendix/A_studies.ipynb) reads, and
rewrites the table of docs/scaling.md; the machine is shared, so compare within a run.
"""
from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

SIZES = {  # users, movies, ratings of MovieLens 100k / 1M / 10M / 25M (rated movies only)
    "100k": (943, 1_682, 100_000),
    "1m": (6_040, 3_706, 1_000_209),
    "10m": (69_878, 10_677, 10_000_054),
    "25m": (162_541, 59_047, 25_000_095),
}
RUNS = ("two_tower", "two_tower_logq", "two_tower_logq_adagrad", "gnn", "gnn_bpr_16_steps",
        "dnn", "ease")
ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "results" / "scaling.json"
DOC = ROOT / "docs" / "scaling.md"  # its ``scaling`` block is generated from OUT


def make_model(run: str, n_train: int, epochs: int):
    """The model of ``run`` (see the module docstring), ready to ``fit``."""
    from movierec_utils.models import MODELS
    from movierec_utils.models.baselines import EASE
    from benchmarks.scaling_study import model_name
    from movierec_utils.summary import reported_configuration

    if run == "ease":
        return EASE()
    name = model_name(run)
    params = {**reported_configuration(name, MODELS[name]), "epochs": epochs}
    if run.startswith("two_tower_logq"):
        params.update(loss="logq", batch_size=1024)
    if run == "two_tower_logq_adagrad":  # TFRS's tutorials' optimizer: updates only used rows
        params.update(optimizer="adagrad", learning_rate=0.1)
    if run.startswith("gnn_bpr_16_steps"):
        params.update(loss="bpr", batch_size=math.ceil(n_train / 16))
    return MODELS[name](**params)


def peak_gib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB → GiB


def measure(run: str, size: str, max_epoch_minutes: float, probe_steps: int) -> dict:
    import movierec_utils  # noqa: F401  (before TensorFlow)
    from movierec_utils.splits import stratified_split
    from benchmarks.synthetic import synthetic_ratings

    started = time.perf_counter()
    train, test = stratified_split(synthetic_ratings(*SIZES[size], seed=0, compact=True),
                                   ratio=0.75, seed=42)
    record = {"run": run, "size": size, "ratings": SIZES[size][2],
              "users": SIZES[size][0], "movies": SIZES[size][1], "train_ratings": len(train),
              "data_seconds": round(time.perf_counter() - started, 1),
              "data_peak_gib": round(peak_gib(), 2)}
    epochs = 1 if size == "25m" else 2
    model = make_model(run, len(train), epochs)
    projection = (PROBES[run](model, train, probe_steps) if run in PROBES else None)
    if projection and projection["epoch_seconds"] > 60 * max_epoch_minutes:
        record.update(projection, projected=True)  # model: initialised, untrained
    elif run == "ease":
        _fit_ease(model, train, record)
    else:
        model.fit(train)
        record["epoch_seconds"] = round(model.history_[-1]["seconds"], 3)
        record["fit_seconds"] = round(model.fit_seconds_, 1)
    started = time.perf_counter()
    metrics = model.evaluate(test, k=10)
    record.update(evaluation_seconds=round(time.perf_counter() - started, 3),
                  evaluated_users=metrics["n_users"], ndcg_at_10=round(metrics["ndcg@10"], 4),
                  peak_gib=round(peak_gib(), 2))
    return record


def _fit_ease(model, train, record: dict) -> None:
    """Fit EASE; when it refuses the catalogue, record its message and fit the ``max_items``
    variant it names."""
    import re

    try:
        model.fit(train)
    except MemoryError as refusal:
        record["refused"] = str(refusal)
        model.max_items = int(re.search(r"max_items=([\d,]+) fits", str(refusal))[1]
                              .replace(",", ""))
        model.fit(train)
        record["max_items"] = model.max_items
    record["epoch_seconds"] = record["fit_seconds"] = round(model.fit_seconds_, 3)


def _lightgcn_projection(model, train, probe_steps: int) -> dict:
    """Time ``probe_steps`` of LightGCN's compiled training step (after one that traces it) on
    real batches and project an epoch: seconds per step × steps per epoch."""
    import numpy as np

    from movierec_utils.models.lightgcn import softmax_batches

    _fit_zero_epochs(model, train)
    from movierec_utils.tfenv import tf

    step = model._make_step(tf.keras.optimizers.Adam(model.learning_rate))
    rng = np.random.default_rng(0)
    batches = (batch for _ in itertools.count()  # epoch after epoch (small data: few batches)
               for batch in softmax_batches(model.seen_, model.batch_size, rng))
    step(*next(batches))  # traces the step
    probe = _seconds(lambda: [step(*next(batches)) for _ in range(probe_steps)])
    return _projection(probe / probe_steps, model, probe_steps)


def _dnn_projection(model, train, probe_steps: int) -> dict:
    """The same for the deep model: ``probe_steps`` compiled steps after one (the epoch function
    takes any number of users without retracing, so 1 and 1 + ``probe_steps`` batches are timed
    and the difference kept)."""
    import numpy as np
    import tensorflow as tf

    from movierec_utils.interactions import interaction_matrix
    from movierec_utils.models.dnn import epoch_function

    _fit_zero_epochs(model, train)
    ratings = interaction_matrix(train, model.users_, model.items_, values="user_rating")
    train_epoch = epoch_function(model.model_, tf.keras.optimizers.Adam(model.learning_rate),
                                 model.user_table_, ratings, model.batch_size)
    order = np.random.default_rng(model.seed).permutation(len(model.users_.ids)).astype("int64")
    train_epoch(order[:model.batch_size])  # traces the epoch function
    one = _seconds(lambda: train_epoch(order[:model.batch_size]))
    more = _seconds(lambda: train_epoch(order[:model.batch_size * (1 + probe_steps)]))
    return _projection(max(more - one, 0.0) / probe_steps, model, probe_steps)


def _seconds(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def _projection(per_step: float, model, probe_steps: int) -> dict:
    """An epoch projected from the seconds of one step (batches of ``batch_size`` users)."""
    steps = math.ceil(model.seen_.shape[0] / model.batch_size)
    return {"epoch_seconds": round(per_step * steps, 3),
            "probe": {"steps": probe_steps, "seconds_per_step": round(per_step, 4),
                      "steps_per_epoch": steps}}


PROBES = {"gnn": _lightgcn_projection, "dnn": _dnn_projection}


def _fit_zero_epochs(model, train) -> None:
    """Index the data and initialise the embeddings without training (evaluation still ranks
    the whole catalogue with them, so its cost is the trained model's). ``fit`` refuses
    ``epochs=0`` from a user; for this one call the benchmark skips that check."""
    epochs, model.epochs = model.epochs, 0
    model._check_training_settings = lambda: None
    try:
        model.fit(train)
    finally:
        model.epochs = epochs
        del model._check_training_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--runs", nargs="+", default=list(RUNS), choices=RUNS)
    parser.add_argument("--max-epoch-minutes", type=float, default=10.0)
    parser.add_argument("--probe-steps", type=int, default=5)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(*args.child, args.max_epoch_minutes, args.probe_steps)))
        return
    records = json.loads(args.out.read_text())["runs"] if args.out.exists() else []
    for size in args.sizes:
        for run in args.runs:
            record = {**run_child(run, size, args), **measured_where()}
            records = [r for r in records if (r["run"], r["size"]) != (run, size)] + [record]
            write(args.out, records)
            print(json.dumps(record), flush=True)
    if args.out == OUT:
        update_doc()


def update_doc() -> None:
    """Rewrite the ``scaling`` block of ``docs/scaling.md`` from ``results/scaling.json``."""
    from benchmarks import scaling_study as scaling

    sys.path.insert(0, str(ROOT))  # tools/ sits beside benchmarks/
    from tools.readme import replace_blocks

    table = scaling.markdown_table(scaling.load_scaling(OUT))
    DOC.write_text(replace_blocks(DOC.read_text(encoding="utf-8"), {"scaling": table}),
                   encoding="utf-8")


def measured_where() -> dict:
    """The day, host name and boot id of a measurement: the machines are shared and their speed
    changes between sessions, so only records with the same three are divided by each other
    (host names repeat across machines; a boot id is one machine between restarts)."""
    boot = Path("/proc/sys/kernel/random/boot_id")
    return {"date": time.strftime("%Y-%m-%d"), "host": platform.node(),
            "boot": boot.read_text().strip()[:8] if boot.is_file() else "unknown"}


def run_child(run: str, size: str, args) -> dict:
    """One (run, size) in a fresh process; a failure is recorded with its last error line."""
    command = [sys.executable, __file__, "--child", run, size,
               "--max-epoch-minutes", str(args.max_epoch_minutes),
               "--probe-steps", str(args.probe_steps)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        last = (done.stderr.strip().splitlines() or ["(no error output)"])[-1]
        return {"run": run, "size": size, "failed": f"exit {done.returncode}: {last}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def write(path: Path, records: list) -> None:
    order = {(run, size): i for i, (size, run) in
             enumerate((s, r) for s in SIZES for r in RUNS)}
    records = sorted(records, key=lambda r: order[(r["run"], r["size"])])
    dates = sorted({r["date"] for r in records if "date" in r}) or [time.strftime("%Y-%m-%d")]
    meta = {"command": "benchmarks/scaling.py",  # each record also carries its own date
            "date": dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}",
            "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
            "data": "synthetic_ratings(seed=0) at MovieLens sizes; stratified_split(0.75, seed=42)"}
    path.write_text(json.dumps({**meta, "runs": records}, indent=1) + "\n")


if __name__ == "__main__":
    main()
