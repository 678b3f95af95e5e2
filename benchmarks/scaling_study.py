"""Reading ``results/scaling.json`` (written by ``benchmarks/scaling.py``): how each model's cost
grows from 100k to 25M synthetic ratings — a table, fitted log–log exponents, growth ratios, the
appendix's figure and the Markdown table of ``docs/scaling.md``.

Cost per rating (training) and per user (evaluation) is what the benchmark's bars are about: a
model whose epoch costs the same per rating at every size scales linearly with the data.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from movierec_utils.paths import project_root

SIZES = ("100k", "1m", "10m", "25m")
FIT_SIZES = ("1m", "10m", "25m")  # the sizes a large catalogue is about (100k: under a second)
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
                                "an hour and a half on 2 cores) to measure it")
    return json.loads(path.read_text())


def cost_frame(record: dict) -> pd.DataFrame:
    """One row per (run, size) that completed: seconds, cost per rating / per user, memory, and
    where it was measured (``date``, ``host``, ``boot``; "undated" / "unknown" for records older
    than those fields)."""
    rows = [run for run in record["runs"] if "failed" not in run]
    frame = pd.DataFrame(rows)
    frame["label"] = frame["run"].map(RUN_LABELS)
    frame["epoch_us_per_rating"] = 1e6 * frame["epoch_seconds"] / frame["train_ratings"]
    frame["evaluation_us_per_user"] = 1e6 * frame["evaluation_seconds"] / frame["evaluated_users"]
    # full ranking scores every user against every movie: the evaluator's unit of work
    frame["evaluation_ns_per_score"] = 1e9 * frame["evaluation_seconds"] / (
        frame["evaluated_users"] * frame["movies"])
    for gib in ("peak_gib", "data_peak_gib"):  # the bars are in GB
        frame[gib.replace("_gib", "_gb")] = frame[gib] * 2**30 / 1e9
    for column in ("projected", "refused", "max_items", "probe", "date", "host", "boot"):
        if column not in frame:
            frame[column] = np.nan
    frame["projected"] = frame["projected"].fillna(False).astype(bool)
    frame["bounded"] = frame["max_items"].notna()  # EASE fitted only its most-rated movies
    frame["date"] = frame["date"].fillna("undated")
    frame["host"] = frame["host"].fillna("unknown")
    frame["boot"] = frame["boot"].fillna("unknown")
    frame["size"] = pd.Categorical(frame["size"], SIZES, ordered=True)
    return frame.sort_values(["run", "size"]).reset_index(drop=True)


def comparable(frame: pd.DataFrame, reference: str = "10m") -> pd.DataFrame:
    """The rows whose costs can be set against each other along a run: measured in the session
    (day, host, boot) of the run's ``reference`` row — the machines are shared, and a slower
    one is not slower by the same factor at every size — and of the whole catalogue (not
    ``bounded``)."""
    return frame[same_session(frame, reference) & ~frame["bounded"].to_numpy()].reset_index(
        drop=True)


def same_session(frame: pd.DataFrame, reference: str = "10m") -> np.ndarray:
    """Per row: measured on the day, host and boot of its run's ``reference`` row."""
    keys = ["date", "host", "boot"]
    sessions = frame[frame["size"] == reference].set_index("run")[keys]
    joined = frame[["run", *keys]].join(sessions, on="run", rsuffix="_reference")
    return np.all([joined[key] == joined[f"{key}_reference"] for key in keys], axis=0)


def failures(record: dict) -> list[dict]:
    """The (run, size) pairs the benchmark could not complete, with their error line."""
    return [run for run in record["runs"] if "failed" in run]


def growth(frame: pd.DataFrame, smaller: str = "1m", larger: str = "10m") -> pd.DataFrame:
    """Per run: how much the training cost per rating and per user and the evaluation cost per
    user and per (user, movie) score grow from ``smaller`` to ``larger`` (1.0 = linear in the
    data), over the ``comparable`` rows only."""
    wide = comparable(frame, reference=larger).set_index(["run", "size"])
    rows = {}
    for run in frame["run"].unique():
        if (run, smaller) not in wide.index or (run, larger) not in wide.index:
            continue
        a, b = wide.loc[(run, smaller)], wide.loc[(run, larger)]
        rows[run] = {"training per rating": b["epoch_us_per_rating"] / a["epoch_us_per_rating"],
                     # batches of 64 users (the reported models): the growth of one step's cost
                     "training per user": ((b["epoch_seconds"] / b["users"])
                                           / (a["epoch_seconds"] / a["users"])),
                     "evaluation per user": (b["evaluation_us_per_user"]
                                             / a["evaluation_us_per_user"]),
                     "evaluation per score": (b["evaluation_ns_per_score"]
                                              / a["evaluation_ns_per_score"]),
                     "projected": bool(a["projected"] or b["projected"])}
    columns = ["training per rating", "training per user", "evaluation per user",
               "evaluation per score", "projected"]
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns)


def exponents(frame: pd.DataFrame, sizes=FIT_SIZES) -> pd.DataFrame:
    """Least-squares slopes on log–log axes over ``sizes``: epoch seconds against training
    ratings, evaluation seconds against users, peak memory against ratings (1 = linear), over
    the ``comparable`` rows only; "fitted over" names the sizes each slope used."""
    rows = {}
    usable = comparable(frame)
    for run, part in usable[usable["size"].isin(sizes)].groupby("run", observed=True):
        if len(part) < 2:
            continue
        slope = lambda x, y: float(np.polyfit(np.log(part[x]), np.log(part[y]), 1)[0])  # noqa: E731
        rows[run] = {"training time ~ ratings^": slope("train_ratings", "epoch_seconds"),
                     "evaluation time ~ users^": slope("evaluated_users", "evaluation_seconds"),
                     "peak memory ~ ratings^": slope("train_ratings", "peak_gib"),
                     "fitted over": ", ".join(part["size"].astype(str))}
    columns = ["training time ~ ratings^", "evaluation time ~ users^", "peak memory ~ ratings^",
               "fitted over"]
    return pd.DataFrame.from_dict(rows, orient="index", columns=columns)


def cost_table(record: dict) -> pd.DataFrame:
    """Run × size cells "epoch s / evaluation s / peak GB" (*p*: projected epoch, *m*: EASE's
    bounded variant, *o*: measured in another session than the run's 10M cell) and the day(s)
    each run was measured."""
    frame = cost_frame(record)
    frame["other_session"] = ~same_session(frame, "10m")
    sizes = [size for size in SIZES if size in set(frame["size"].astype(str))]
    table = {}
    for run in [run for run in RUN_LABELS if run in set(frame["run"])]:
        part = frame[frame["run"] == run].astype({"size": str}).set_index("size")
        row = {size.upper(): _cell(part.loc[size]) if size in part.index else "—"
               for size in sizes}
        table[RUN_LABELS[run]] = {**row, "measured": _days(part["date"])}
    return pd.DataFrame.from_dict(table, orient="index")


def markdown_table(record: dict) -> str:
    """``cost_table`` as Markdown, with its marks explained (the ``scaling`` block of
    ``docs/scaling.md``, written by ``benchmarks/scaling.py``)."""
    table = cost_table(record)
    sizes = [column for column in table.columns if column != "measured"]
    header = ("| run | " + " | ".join(f"{size}: epoch s / eval s / peak GB" for size in sizes)
              + " | measured |")
    rows = [header, "|" + "---|" * (len(sizes) + 2)]
    rows += [f"| {label} | " + " | ".join(cells) + " |" for label, cells in
             zip(table.index, table.astype(str).to_numpy().tolist())]
    notes = ["*p*: epoch projected from timed steps (too long to run whole); "
             "*m*: EASE refused the whole catalogue and fitted its `max_items` most-rated "
             "movies; *o*: measured in another session (day, host, boot) than the run's 10M "
             "cell, so not divided by it."]
    notes += [f"Not completed: {run['run']} at {run['size']} ({run['failed']})."
              for run in failures(record)]
    return "\n".join(rows) + "\n\n" + " ".join(notes)


def _cell(row) -> str:
    mark = " *p*" if row["projected"] else " *m*" if row["bounded"] else ""
    other = " *o*" if row["other_session"] else ""
    return (f"{_seconds(row['epoch_seconds'])}{mark} / {_seconds(row['evaluation_seconds'])} / "
            f"{row['peak_gb']:.1f}{other}")


def _days(dates: pd.Series) -> str:
    days = sorted(set(dates))
    return days[0] if len(days) == 1 else f"{days[0]} to {days[-1]}"


def _seconds(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}" if value >= 1 else f"{value:.2f}"


#: Each run's look in the figure: the model's colour, then a line style and a marker of its own,
#: so the eight series stay apart in colour, in black and white and where their lines cross.
RUN_STYLES = {
    "two_tower": ("-", "o"), "two_tower_logq": ("--", "s"), "two_tower_logq_adagrad": (":", "^"),
    "gnn": ("-", "D"), "gnn_bpr_16_steps": ("--", "v"), "gnn_bpr_16_steps_sparse": (":", "P"),
    "dnn": ("-", "X"), "ease": ("-", "*"),
}


def plot_cost_per_rating(record: dict, figure_name: str):
    """Training µs per rating per epoch against training ratings, one line per run over its
    ``comparable`` sizes (hollow markers: projected from timed steps)."""
    import matplotlib.pyplot as plt

    from movierec_utils import plotting

    compared = comparable(cost_frame(record))
    fig, ax = plt.subplots(figsize=(10, 6.5))
    for run in [run for run in RUN_LABELS if run in set(compared["run"])]:
        part = compared[compared["run"] == run].sort_values("train_ratings")
        colour, (line, marker) = plotting.colour(model_name(run)), RUN_STYLES[run]
        ax.plot(part["train_ratings"], part["epoch_us_per_rating"], line, marker=marker, ms=8,
                color=colour, linewidth=1.6, label=RUN_LABELS[run])
        projected = part[part["projected"]]
        ax.plot(projected["train_ratings"], projected["epoch_us_per_rating"], marker, ms=8,
                color=colour, mfc="white", ls="none")
    ax.plot([], [], "o", color="grey", mfc="white", ls="none",
            label="hollow: projected from timed steps")
    ax.set(xscale="log", yscale="log",
           xlabel="training ratings of the MovieLens-shaped synthetic data (log scale)",
           ylabel="training µs per rating per epoch (log scale)",
           title="Training cost per rating as the data grows: a flat line is linear")
    sizes = compared.groupby("size", observed=True)["train_ratings"].median()
    ax.set_xticks(sizes.to_numpy(), [size.upper() for size in sizes.index])
    ax.minorticks_off()
    ax.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.12),
              ncol=2, frameon=False)
    plotting.save_figure(fig, figure_name)
    return fig
