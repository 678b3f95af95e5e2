"""The recorded search of every model's settings, read by the lessons (never re-run there).

``benchmarks/tune.py`` searches each model's settings with Optuna on each split's validation
part and writes ``results/tuning.json``: one *study* per (model, split) — every trial's settings,
state (complete or pruned), best validation NDCG@10, best epoch and seconds — and the chosen
configuration. The class defaults are the configurations chosen on split seed 42; notebook 04
refits every model on every split with that split's own choice (:func:`chosen`).
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from movierec_utils.results import load_results

COMMAND = "python -m benchmarks.tune"
SPLIT_NAMES = {"42": "split seed 42", "1": "split seed 1", "2": "split seed 2",
               "time": "time split"}


def load_tuning() -> dict:
    """The published ``results/tuning.json`` (a scratch run's copy is never read)."""
    record = load_results("tuning", published=True)
    if record is None:
        raise FileNotFoundError(f"results/tuning.json is missing: run `{COMMAND}` from the "
                                "repository's root (about an hour on two cores)")
    return record


def study(model: str, split: str = "42") -> dict:
    """The study of ``model`` on ``split`` ("42", "1", "2" or "time")."""
    studies = load_tuning()["studies"]
    key = f"{model} | {split}"
    if key not in studies:
        raise KeyError(f"results/tuning.json has no study {key!r}; it has {sorted(studies)}. "
                       f"Run `{COMMAND} --models {model} --splits {split}`.")
    return studies[key]


def chosen(model: str, split: str = "42") -> dict:
    """Constructor arguments the search chose for ``model`` on ``split`` (epochs for the refit
    on the whole training part included)."""
    return {key: tuple(value) if isinstance(value, list) else value
            for key, value in study(model, split)["chosen"].items()}


def _short(value) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(map(str, value)) + ")" if value else "()"
    return str(value)


def trials_table(model: str, split: str = "42", top: int = 6) -> pd.DataFrame:
    """The ``top`` trials by validation NDCG@10, and trial 0 (the configuration the search
    started from): one column per setting (floats to three significant digits), then the trial's
    result."""
    rows = study(model, split)["trials"]
    frame = pd.DataFrame([{
        "trial": row["trial"],
        **{key: _short(value) for key, value in row["settings"].items()
           if key not in ("max_epochs", "patience")},
        "valid NDCG@10": row["valid_ndcg"],
        "best epoch": row.get("best_epoch", np.nan),
        "state": (row["state"] if row["state"] == "complete"
                  else f"pruned at epoch {row.get('epochs_run')}"),
        "seconds": row["seconds"]} for row in rows])
    if model == "ease":  # one setting, λ, and no epochs
        frame = frame.drop(columns="best epoch").rename(columns={"l2": "λ"})
    else:
        frame["best epoch"] = frame["best epoch"].astype("Int64")
    shown = frame.sort_values("valid NDCG@10", ascending=False).head(top)
    if 0 not in shown["trial"].to_numpy():
        shown = pd.concat([shown, frame[frame["trial"] == 0]])
    return shown.set_index("trial").round({"valid NDCG@10": 4, "seconds": 1})


def overview(models, splits=tuple(SPLIT_NAMES)) -> pd.DataFrame:
    """One row per study: trials run and pruned, trial 0's (the start) and the best validation
    NDCG@10, and the search's minutes."""
    rows = []
    for model in models:
        for split in splits:
            found = study(model, split)
            rows.append({"model": model, "split": SPLIT_NAMES[split],
                         "trials": found["n_trials"], "pruned": found["n_pruned"],
                         "trial 0 (start)": found["default_valid_ndcg"],
                         "best": found["best_valid_ndcg"],
                         "minutes": found["seconds"] / 60})
    return pd.DataFrame(rows).set_index(["model", "split"]).round(
        {"trial 0 (start)": 4, "best": 4, "minutes": 1})


def plot_search(model: str, label: str, colour: str, split: str = "42"):
    """Validation NDCG@10 of every trial in the order run (pruned ones at the epoch they
    stopped), the best so far as a line and trial 0 (the configuration it started from) marked."""
    rows = study(model, split)["trials"]
    numbers = np.array([row["trial"] for row in rows])
    values = np.array([row["valid_ndcg"] for row in rows])
    pruned = np.array([row["state"] == "pruned" for row in rows])
    fig, ax = plt.subplots(figsize=(9.5, 3.6))
    ax.scatter(numbers[~pruned], values[~pruned], color=colour, label="complete trial")
    if pruned.any():
        ax.scatter(numbers[pruned], values[pruned], color=colour, marker="x", alpha=0.6,
                   label="pruned trial\n(score when stopped)")
    best_so_far = np.maximum.accumulate(np.where(pruned, -np.inf, values))
    ax.step(numbers, best_so_far, where="post", color="black", linewidth=1, label="best so far")
    ax.scatter([0], [values[0]], s=160, facecolors="none", edgecolors="black",
               label="trial 0: the configuration\nthe search started from")
    low = np.percentile(values, 25) - 0.01
    hidden = int((values < low).sum())
    ax.set(title=f"{label}: the search on validation ({SPLIT_NAMES[split]})",
           xlabel="trial (in the order run)", ylabel="validation NDCG@10",
           ylim=(low, values.max() + 0.006))
    if hidden:
        ax.text(0.01, 0.03, f"{hidden} trial(s) below {low:.2f} not shown",
                transform=ax.transAxes, fontsize=9, color="grey")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=9)
    return fig


def searched_splits(model: str) -> set[str]:
    """The splits ("42", "1", "2", "time") on which ``model``'s settings were searched."""
    return {key.split(" | ")[1] for key in load_tuning()["studies"] if key.split(" | ")[0] == model}


def changes(model: str, settings: dict, defaults: dict) -> str:
    """What a split's choice sets, in a few words: EASE's λ, or a neural model's epochs and the
    settings that differ from the class defaults."""
    if model == "ease":
        return f"λ = {settings['l2']:.0f}"
    different = {key: value for key, value in settings.items()
                 if key != "epochs" and defaults.get(key) != value}
    return ", ".join([f"{settings['epochs']} epochs"]
                     + [f"{key} {_short(value)}" for key, value in different.items()])


def summary_sentence(model: str, split: str = "42", shown: int = 6) -> str:
    """The study in one sentence: trials, the best validation NDCG@10 and trial 0's,
    and what :func:`trials_table` (``top=shown``) lists."""
    found = study(model, split)
    took = (f"{found['seconds']:.0f} s" if found["seconds"] < 120
            else f"{found['seconds'] / 60:.0f} minutes")
    sentence = (f"The search ran {found['n_trials']} trials ({found['n_pruned']} pruned) in "
                f"{took}. Its best validation NDCG@10 is **{found['best_valid_ndcg']:.4f}**")
    if found["best_trial"] == 0:
        sentence += (", trial 0's, the configuration the search started from: no trial beat it, "
                     "and the class defaults are trial 0's settings.")
    else:
        sentence += (f" (trial {found['best_trial']}); trial 0, the configuration the search "
                     f"started from, scored {found['default_valid_ndcg']:.4f}")
        margin = found["best_valid_ndcg"] - found["default_valid_ndcg"]
        sentence += (f", {margin:.4f} less. The class defaults are trial "
                     f"{found['best_trial']}'s settings.")
    return sentence + (f" The table lists the {shown} best trials by validation NDCG@10 (and "
                       "trial 0 if it is not among them).")


def best_by(model: str, setting: str, split: str = "42") -> pd.DataFrame:
    """Per value of one ``setting``: how many trials the search spent on it, how many ran to the
    end, and the best validation NDCG@10 among those (NaN when every one was pruned)."""
    rows = study(model, split)["trials"]
    frame = pd.DataFrame({setting: [_short(row["settings"][setting]) for row in rows],
                          "complete": [row["state"] == "complete" for row in rows],
                          "score": [row["valid_ndcg"] for row in rows]})
    return pd.DataFrame({
        "trials": frame.groupby(setting).size(),
        "complete": frame.groupby(setting)["complete"].sum(),
        "best complete valid NDCG@10": frame[frame["complete"]].groupby(setting)["score"].max(),
    }).astype({"complete": int}).round(4)
