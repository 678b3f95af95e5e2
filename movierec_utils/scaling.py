"""Reading ``results/scaling.json`` (written by ``benchmarks/scaling.py``): how each model's cost
grows from 100k to 25M synthetic ratings — a table, fitted log–log exponents, growth ratios, the
figure of notebook 04 and the README table.

Cost per rating (training) and per user (evaluation) is what the benchmark's bars are about: a
model whose epoch costs the same per rating at every size scales linearly with the data.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from movierec_utils.paths import project_root
from movierec_utils.readme import block, replace_block

README_START = "<!-- scaling:start (generated from results/scaling.json by benchmarks/scaling.py) -->"
README_END = "<!-- scaling:end -->"
SIZES = ("100k", "1m", "10m", "25m")
FIT_SIZES = ("1m", "10m", "25m")  # at 100k fixed costs (tracing, start-up) still dominate
RUN_LABELS = {
    "two_tower": "Two-tower, full softmax (reported)",
    "two_tower_logq": "Two-tower, log-Q in-batch, Adam",
    "two_tower_logq_adagrad": "Two-tower, log-Q in-batch, Adagrad",
    "gnn": "LightGCN, softmax, 64 users a step (reported)",
    "gnn_bpr_16_steps": "LightGCN, BPR, 16 steps an epoch",
    "gnn_bpr_16_steps_sparse": "LightGCN, BPR, 16 steps, sparse S",
    "dnn": "Deep model, full softmax (reported)",
    "ease": "EASE (closed form; epoch = fit)",
}


def model_name(run: str) -> str:
    """The model a run configures: ``"two_tower_logq_adagrad"`` → ``"two_tower"``."""
    return run.split("_logq")[0].split("_bpr")[0]


def scaling_path() -> Path:
    return project_root() / "results" / "scaling.json"


def load_scaling(path: Path | None = None) -> dict:
    path = path or scaling_path()
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: run `python benchmarks/scaling.py` (about "
                                "an hour on 2 cores) to measure it")
    return json.loads(path.read_text())


def cost_frame(record: dict) -> pd.DataFrame:
    """One row per (run, size) that completed: seconds, cost per rating / per user, memory."""
    rows = [run for run in record["runs"] if "failed" not in run]
    frame = pd.DataFrame(rows)
    frame["label"] = frame["run"].map(RUN_LABELS)
    frame["epoch_us_per_rating"] = 1e6 * frame["epoch_seconds"] / frame["train_ratings"]
    frame["evaluation_us_per_user"] = 1e6 * frame["evaluation_seconds"] / frame["evaluated_users"]
    # full ranking scores every user against every movie: the evaluator's linear unit of work
    frame["evaluation_ns_per_score"] = 1e9 * frame["evaluation_seconds"] / (
        frame["evaluated_users"] * frame["movies"])
    for column in ("projected", "refused", "max_items"):
        if column not in frame:
            frame[column] = np.nan
    frame["projected"] = frame["projected"].fillna(False).astype(bool)
    frame["size"] = pd.Categorical(frame["size"], SIZES, ordered=True)
    return frame.sort_values(["run", "size"]).reset_index(drop=True)


def failures(record: dict) -> list[dict]:
    """The (run, size) pairs the benchmark could not complete, with their error line."""
    return [run for run in record["runs"] if "failed" in run]


def growth(frame: pd.DataFrame, smaller: str = "1m", larger: str = "10m") -> pd.DataFrame:
    """Per run: how much the training cost per rating and the evaluation cost per user and per
    (user, movie) score grow from ``smaller`` to ``larger`` (1.0 = linear in the data)."""
    wide = frame.set_index(["run", "size"])
    rows = {}
    for run in frame["run"].unique():
        if (run, smaller) not in wide.index or (run, larger) not in wide.index:
            continue
        a, b = wide.loc[(run, smaller)], wide.loc[(run, larger)]
        rows[run] = {"training per rating": b["epoch_us_per_rating"] / a["epoch_us_per_rating"],
                     "evaluation per user": (b["evaluation_us_per_user"]
                                             / a["evaluation_us_per_user"]),
                     "evaluation per score": (b["evaluation_ns_per_score"]
                                              / a["evaluation_ns_per_score"]),
                     "projected": bool(a["projected"] or b["projected"])}
    return pd.DataFrame.from_dict(rows, orient="index")


def exponents(frame: pd.DataFrame, sizes=FIT_SIZES) -> pd.DataFrame:
    """Least-squares slopes on log–log axes over ``sizes``: epoch seconds against training
    ratings, evaluation seconds against users, peak memory against ratings (1 = linear)."""
    rows = {}
    for run, part in frame[frame["size"].isin(sizes)].groupby("run", observed=True):
        if len(part) < 2:
            continue
        slope = lambda x, y: float(np.polyfit(np.log(part[x]), np.log(part[y]), 1)[0])  # noqa: E731
        rows[run] = {"training time ~ ratings^": slope("train_ratings", "epoch_seconds"),
                     "evaluation time ~ users^": slope("evaluated_users", "evaluation_seconds"),
                     "peak memory ~ ratings^": slope("train_ratings", "peak_gib"),
                     "sizes": len(part)}
    return pd.DataFrame.from_dict(rows, orient="index")


def readme_table(record: dict) -> str:
    """The README's table: seconds per epoch, evaluation seconds and peak GiB at every size."""
    frame = cost_frame(record)
    sizes = [size for size in SIZES if size in set(frame["size"].astype(str))]
    header = "| run | " + " | ".join(f"{size.upper()}: epoch s / eval s / peak GiB"
                                      for size in sizes) + " |"
    rows = [header, "|" + "---|" * (len(sizes) + 1)]
    for run in [run for run in RUN_LABELS if run in set(frame["run"])]:
        cells = []
        for size in sizes:
            hit = frame[(frame["run"] == run) & (frame["size"] == size)]
            cells.append(_cell(hit.iloc[0]) if len(hit) else "—")
        rows.append(f"| {RUN_LABELS[run]} | " + " | ".join(cells) + " |")
    notes = ["*p*: epoch projected from timed steps (too long to run whole); "
             "*m*: EASE refused the whole catalogue and fitted its `max_items` most-rated movies."]
    notes += [f"Not completed: {run['run']} at {run['size']} ({run['failed']})."
              for run in failures(record)]
    return "\n".join(rows) + "\n\n" + " ".join(notes)


def _cell(row) -> str:
    mark = " *p*" if row["projected"] else " *m*" if pd.notna(row["max_items"]) else ""
    return (f"{_seconds(row['epoch_seconds'])}{mark} / {_seconds(row['evaluation_seconds'])} / "
            f"{row['peak_gib']:.1f}")


def _seconds(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}" if value >= 1 else f"{value:.2f}"


def update_readme(record: dict, readme: Path | None = None) -> None:
    replace_block(README_START, README_END, readme_table(record), readme)


def readme_block(readme: Path | None = None) -> str:
    return block(README_START, README_END, readme)
