"""The comparison's summary: reported model configurations in; results table and verdicts out.

``results/summary.json`` is written by notebook 04; :func:`readme_table` renders it as the
Markdown table between the ``results`` markers of README.md (``README_START`` … ``README_END``,
rewritten by ``tools/readme.py``), and :func:`verdict_against` holds
the one rule that calls a model better than, worse than or tied with a baseline — notebook 04,
the README and the book all word their verdicts with it.

The rule: on each split, a paired Wilcoxon signed-rank test on per-user NDCG@10 (model minus
baseline); a split counts as *better* (*worse*) when p < :data:`SIGNIFICANCE` and the mean
difference is positive (negative). Over the splits: better on more than half → "better than",
worse on more than half → "worse than", significant on none → "a tie with", otherwise
"not better than".
"""
from __future__ import annotations

import inspect

from movierec_utils.results import load_results

README_START = "<!-- results:start (generated from results/summary.json by notebook 04) -->"
README_END = "<!-- results:end -->"
TABLE_METRICS = ("ndcg@10", "recall@10", "precision@10", "map@10", "hit_rate@10", "coverage@10",
                 "train_seconds")
LABELS = {"popularity": "Popularity", "ease": "EASE", "two_tower": "Two-tower (01)",
          "gnn": "LightGCN (02)", "dnn": "Deep model with features (03)"}


def reported_configuration(name: str, model_class) -> dict:
    """Constructor arguments of the configuration a notebook reported (the published
    ``results/<name>.json``, with ``epochs`` = the early-stopping choice; a scratch run's file
    is ignored), or ``{}`` when it has not been run."""
    if name == "ease":  # notebook 00's choice; without it, the class default (one source)
        baselines = load_results("baselines", published=True)
        return {"l2": baselines["parameters"]["ease_l2"]} if baselines else {}
    saved = load_results(name, published=True)
    if not saved:
        return {}
    accepted = set(inspect.signature(model_class).parameters) - {"seed"}  # seed: the caller's
    return {key: (tuple(value) if isinstance(value, list) else value)
            for key, value in saved["parameters"].items() if key in accepted}


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
                               f"{seeds} (75/25 per user, k = 10, training movies masked). "
                               "Training seconds: notebook 04's fits, two notebooks running "
                               "at once; `docs/speed.md` times each model alone.")
    has_tests = summary.get("versus_baseline") or summary.get("versus_ease")
    return table + ("\n\n" + verdict(summary) if has_tests else "")


SIGNIFICANCE = 0.05  # per-split paired Wilcoxon test, per-user NDCG@10


def verdict_word(better: int, worse: int, n_splits: int, baseline: str = "EASE") -> str:
    """The rule in one place: splits significantly better / worse (p < SIGNIFICANCE) → words."""
    if better > n_splits / 2:
        return f"better than {baseline}"
    if worse > n_splits / 2:
        return f"worse than {baseline}"
    if better == worse == 0:
        return f"a tie with {baseline}"
    return f"not better than {baseline}"


def split_tests(summary: dict, baseline: str = "ease") -> list[dict]:
    """Per model and split: ``{"model", "split seed", "mean difference", "Wilcoxon p"}`` against
    ``baseline`` (model names as in ``MODELS``), from ``versus_baseline`` (or, in summaries
    written before it, from ``versus_ease``, whose models are labels)."""
    record = summary.get("versus_baseline")
    if record and record.get("baseline") == baseline:
        return record["tests"]
    if baseline == "ease" and summary.get("versus_ease"):
        names = {label: name for name, label in LABELS.items()}
        return [{**test, "model": names.get(test["model"], test["model"])}
                for test in summary["versus_ease"]]
    raise KeyError(f"results/summary.json holds no per-split tests against {baseline!r}: "
                   "run notebooks/04_comparison.ipynb")


def verdicts_against(baseline: str, summary: dict) -> list[dict]:
    """Each model tested against ``baseline``: mean NDCG@10 over the splits, its difference from
    the baseline's, on how many splits it is significantly better / worse, and the verdict."""
    tests = split_tests(summary, baseline)
    n_splits = len(summary["split_seeds"])
    label = LABELS.get(baseline, baseline)
    rows = []
    for name in dict.fromkeys(test["model"] for test in tests):
        mine = [test for test in tests if test["model"] == name]
        better = sum(t["Wilcoxon p"] < SIGNIFICANCE and t["mean difference"] > 0 for t in mine)
        worse = sum(t["Wilcoxon p"] < SIGNIFICANCE and t["mean difference"] < 0 for t in mine)
        mean = summary["models"][name]["ndcg@10"]["mean"]
        rows.append({"model": name, "mean NDCG@10": mean,
                     "difference": mean - summary["models"][baseline]["ndcg@10"]["mean"],
                     "splits better": better, "splits worse": worse, "splits": n_splits,
                     "verdict": verdict_word(better, worse, n_splits, label)})
    return rows


def verdict_against(baseline: str, summary: dict) -> str:
    """The verdicts of :func:`verdicts_against` as Markdown lines (README, book, notebook 04)."""
    label = LABELS.get(baseline, baseline)
    bar = ", the bar" if baseline == "ease" else ""  # notebook 00: the model to beat
    lines = [f"Against {label}{bar} (paired Wilcoxon test on per-user NDCG@10, "
             f"p < {SIGNIFICANCE}, per split):"]
    for row in verdicts_against(baseline, summary):
        lines.append(f"* {LABELS.get(row['model'], row['model'])}: {row['difference']:+.4f} "
                     f"on average; significantly better on {row['splits better']}, worse on "
                     f"{row['splits worse']} of {row['splits']} splits — **{row['verdict']}**.")
    return "\n".join(lines)


def verdict(summary: dict) -> str:
    """Each neural model against EASE: :func:`verdict_against` with EASE as the baseline."""
    return verdict_against("ease", summary)
