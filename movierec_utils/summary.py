"""The comparison's summary: reported model configurations in, README results table out.

``results/summary.json`` is written by notebook 04; :func:`readme_table` renders it as the
Markdown table between the ``results`` markers of README.md (:func:`update_readme`), and a test
checks that the two agree.
"""
from __future__ import annotations

import inspect
import json
from pathlib import Path

from movierec_utils.paths import output_dir, project_root
from movierec_utils.readme import block, replace_block
from movierec_utils.results import load_results

README_START = "<!-- results:start (generated from results/summary.json by notebook 04) -->"
README_END = "<!-- results:end -->"
TABLE_METRICS = ("ndcg@10", "recall@10", "precision@10", "map@10", "hit_rate@10", "coverage@10",
                 "train_seconds")
LABELS = {"popularity": "Popularity", "ease": "EASE", "two_tower": "Two-tower (01)",
          "gnn": "LightGCN (02)", "dnn": "Deep model with features (03)"}


def reported_configuration(name: str, model_class) -> dict:
    """Constructor arguments of the configuration a notebook reported (``results/<name>.json``,
    with ``epochs`` = the early-stopping choice), or ``{}`` when it has not been run."""
    if name == "ease":
        baselines = load_results("baselines")
        return {"l2": baselines["parameters"]["ease_l2"]} if baselines else {"l2": 500.0}
    saved = load_results(name)
    if not saved:
        return {}
    accepted = set(inspect.signature(model_class).parameters) - {"seed"}  # seed: the caller's
    return {key: (tuple(value) if isinstance(value, list) else value)
            for key, value in saved["parameters"].items() if key in accepted}


def summary_path() -> Path:
    return output_dir("results") / "summary.json"


def readme_table(summary: dict) -> str:
    header = ("| model | NDCG@10 | Recall@10 | Precision@10 | MAP@10 | HitRate@10 | Coverage@10 "
              "| training s |")
    rows = [header, "|" + "---|" * (len(TABLE_METRICS) + 1)]
    for name, stats in summary["models"].items():
        cells = [f"{stats[m]['mean']:.3f} ± {stats[m]['std']:.3f}" if m != "train_seconds"
                 else f"{stats[m]['mean']:.1f}" for m in TABLE_METRICS]
        rows.append(f"| {LABELS.get(name, name)} | " + " | ".join(cells) + " |")
    seeds = ", ".join(str(seed) for seed in summary["split_seeds"])
    table = "\n".join(rows) + (f"\n\nMean ± standard deviation over `stratified_split` seeds "
                               f"{seeds} (75/25 per user, k = 10, training movies masked).")
    return table + ("\n\n" + verdict(summary) if summary.get("verdicts") else "")


def verdict(summary: dict) -> str:
    """Each neural model against EASE, in words: mean difference over the splits and on how many
    splits a paired Wilcoxon test (per-user NDCG@10, notebook 04) found it better or worse."""
    n_splits = len(summary["split_seeds"])
    lines = ["Against EASE, the bar (paired Wilcoxon test on per-user NDCG@10, p < 0.05, per split):"]
    for row in summary["verdicts"]:
        better = row["splits better than EASE (p < 0.05)"]
        worse = row["splits worse than EASE (p < 0.05)"]
        word = ("better than EASE" if better > n_splits / 2 else
                "worse than EASE" if worse > n_splits / 2 else
                "a tie with EASE" if better == worse == 0 else "not better than EASE")
        lines.append(f"* {row['model']}: {row['difference from EASE']:+.4f} on average; "
                     f"significantly better on {better}, worse on {worse} of {n_splits} splits "
                     f"— **{word}**.")
    return "\n".join(lines)


def update_readme(summary: dict, readme: Path | None = None) -> bool:
    """Rewrite README's results table. Skipped (returns False) when outputs are redirected with
    ``MOVIEREC_OUTPUT_ROOT`` — as under the test suite — so tests never edit the README."""
    import os

    if readme is None and os.environ.get("MOVIEREC_OUTPUT_ROOT"):
        return False
    replace_block(README_START, README_END, readme_table(summary), readme)
    return True


def readme_block(readme: Path | None = None) -> str:
    return block(README_START, README_END, readme)


def load_summary(path: Path | None = None) -> dict:
    return json.loads((path or project_root() / "results" / "summary.json").read_text())
