"""How long to train: the stopping-rule study of ``benchmarks/stopping_rules.py``, as the tables
and the figure the appendix shows (``results/stopping_rules.json``, validation data only).

The benchmark trained each neural model with early stopping switched off on three splits,
recording validation NDCG@10 after every epoch; every rule is then judged on those curves, and
a nested check (choose the epoch on an inner validation part, refit on the outer training part)
judges how the refit's epoch count should scale.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
import pandas as pd

from movierec_utils import plotting
from movierec_utils.results import load_results
from movierec_utils.summary import LABELS


def load_study() -> dict:
    study = load_results("stopping_rules")
    if study is None:
        raise FileNotFoundError("results/stopping_rules.json is missing: run "
                                "`python benchmarks/stopping_rules.py` (about 30 min on 2 cores)")
    return study


def rules_table(study: dict, model: str) -> pd.DataFrame:
    """Rule × split seed: the epoch each rule keeps and its validation NDCG@10."""
    seeds = [str(seed) for seed in study["seeds"]]
    rows = {}
    for rule, result in study["rules"][model].items():
        row = {(f"seed {seed}", column): result[key][i] for i, seed in enumerate(seeds)
               for column, key in (("epoch", "chosen"), ("NDCG@10", "valid_ndcg@10"))}
        row[("mean", "NDCG@10")] = result["mean_valid_ndcg@10"]
        row[("mean", "stops at")] = result["mean_stop"]
        rows[rule] = row
    table = pd.DataFrame(rows).T
    table.columns = pd.MultiIndex.from_tuples(table.columns)
    return table.rename_axis("rule")


def scaling_table(study: dict, model: str, rule: str | None = None) -> pd.DataFrame:
    """Nested check for ``rule`` (default: the recommended one): the refit's epochs as the inner
    choice × scale, and the outer validation NDCG@10 they reach, per split and on average."""
    rule = rule or study["recommendation"]["rule"]
    seeds = [str(seed) for seed in study["seeds"]]
    rows = {}
    for scale, result in study["nested"]["models"][model][rule]["by_scale"].items():
        label = (f"× {study['nested']['data_ratio'][seeds[0]]:.3f} (data ratio)"
                 if scale == "data ratio" else f"× {scale}")
        row = {(f"seed {seed}", column): result[key][i] for i, seed in enumerate(seeds)
               for column, key in (("epochs", "epochs"), ("NDCG@10", "outer_valid_ndcg@10"))}
        row[("mean", "NDCG@10")] = result["mean"]
        rows[label] = row
    table = pd.DataFrame(rows).T
    table.columns = pd.MultiIndex.from_tuples(table.columns)
    return table.rename_axis(f"refit epochs ({rule})")


def plot_curves(study: dict, model: str, figure_name: str):
    """Validation NDCG@10 per epoch on every split, with the epoch the recommended rule keeps."""
    rule = study["recommendation"]["rule"]
    fig, ax = plt.subplots(figsize=(9, 3.8))
    for style, marker, seed in zip(("-", "--", ":"), ("o", "s", "^"), study["seeds"]):
        curve = study["curves"][model][str(seed)]["outer"]["valid_ndcg@10"]
        kept = study["rules"][model][rule]["chosen"][study["seeds"].index(seed)]
        # The kept epoch is drawn on its own curve, in that curve's marker, so it names its split.
        ax.plot(range(1, len(curve) + 1), curve, style, color=plotting.colour(model),
                marker=marker, markevery=[kept - 1], markersize=7, markerfacecolor="black",
                markeredgecolor="black", label=f"split seed {seed}: epoch {kept} kept")
    ax.set(title=f"{LABELS.get(model, model)}: validation NDCG@10 per epoch, early stopping off",
           xlabel="epoch", ylabel="validation NDCG@10")
    ax.legend(loc="lower right", title=f"rule: {rule}")
    plotting.save_figure(fig, figure_name)
    return fig


def verdict(study: dict) -> str:
    """The study's decision in one computed Markdown paragraph."""
    choice = study["recommendation"]
    scales, rules = choice["recommended_minus_other_scales"], choice["recommended_minus_other_rules"]

    def versus(result: dict) -> str:
        return (f"{result['mean']:+.4f} ± {result['se']:.4f}, better in {result['better']} of "
                f"{result['n']} pairs and worse in {result['worse']}")

    spread = max(abs(result["mean"]) for result in rules.values())
    return (f"Nested check, pooled over the three models' {choice['pairs']} model × split pairs "
            f"(outer validation NDCG@10, mean ± standard error of the paired difference): every "
            f"stopping rule lands within "
            f"{spread:.4f} of **{choice['rule']}**, so waiting longer buys nothing measurable; "
            f"refitting for the chosen epoch × the data ratio ({choice['scale_value']:.3f}) beats "
            f"refitting for the same epoch count by {versus(scales['1.0'])}; it beats × 0.8 by "
            f"{versus(scales['0.8'])}; and it is level with × 1.4: {versus(scales['1.4'])}. "
            f"Chosen: **{choice['rule']}, refit × the data ratio** — what `Recommender.refit` does. "
            f"(The tables above are per model and in-sample: there a longer rule may pick a "
            f"curve's maximum after the fact, so it can look better than in the nested check.)")


def plot_all_models(study: dict, figure_name: str):
    """One panel per model: validation NDCG@10 per epoch on every split, with the epoch the
    recommended rule keeps. The kept epochs are hollow markers of three sizes (one per split),
    so two splits that keep the same epoch at nearly the same value stay visible side by side."""
    rule = study["recommendation"]["rule"]
    models = list(study["curves"])
    fig, axes = plt.subplots(1, len(models), figsize=(4.2 * len(models), 3.9))
    for ax, model in zip(axes, models):
        handles, low = [], 1.0
        for seed, style, marker, size in zip(study["seeds"], ("-", "--", ":"), ("o", "s", "^"),
                                             (13, 9, 5)):
            curve = study["curves"][model][str(seed)]["outer"]["valid_ndcg@10"]
            kept = study["rules"][model][rule]["chosen"][study["seeds"].index(seed)]
            ax.plot(range(1, len(curve) + 1), curve, style, color=plotting.colour(model),
                    linewidth=1.2)
            ax.plot([kept], [curve[kept - 1]], marker, markersize=size, markerfacecolor="none",
                    markeredgecolor="black", markeredgewidth=1.4, linestyle="none", zorder=3)
            handles.append(Line2D([], [], linestyle=style, color=plotting.colour(model),
                                  marker=marker, markersize=size, markerfacecolor="none",
                                  markeredgecolor="black", label=f"split {seed}: epoch {kept}"))
            low = min(low, min(curve[len(curve) // 3:]))  # the plateau, not the first epochs
        top = max(max(c["outer"]["valid_ndcg@10"]) for c in study["curves"][model].values())
        ax.set_ylim(low - 0.01, top + 0.004)
        ax.set(title=LABELS.get(model, model), xlabel="epoch")
        ax.legend(handles=handles, loc="lower right", title=f"kept by {rule}", fontsize=8,
                  title_fontsize=8)
    axes[0].set_ylabel("validation NDCG@10 (axis cut below)")
    fig.suptitle("Validation NDCG@10 per epoch with early stopping off (line style: split)",
                 fontweight="bold")
    fig.tight_layout()
    plotting.save_figure(fig, figure_name)
    return fig


def rules_overview(study: dict) -> pd.DataFrame:
    """Rule × model: the mean epoch each stopping rule stops at and the mean validation NDCG@10
    of the epoch it keeps (over the splits, on the curves of :func:`plot_all_models`)."""
    rows = {}
    for model, rules in study["rules"].items():
        for rule, result in rules.items():
            rows.setdefault(rule, {})[(LABELS.get(model, model), "stops at")] = result["mean_stop"]
            rows[rule][(LABELS.get(model, model), "NDCG@10")] = result["mean_valid_ndcg@10"]
    table = pd.DataFrame(rows).T
    table.columns = pd.MultiIndex.from_tuples(table.columns)
    return table.rename_axis("stopping rule")


def nested_overview(study: dict) -> pd.DataFrame:
    """The nested check pooled over models and splits, for the recommended rule: each refit
    scale's mean outer validation NDCG@10 per model and its paired difference from the chosen
    scale (mean ± standard error over the model × split pairs)."""
    rule = study["recommendation"]["rule"]
    rows = {}
    for cell in study["nested"]["pooled"]:
        if cell["rule"] != rule:
            continue
        scale = (f"× {study['recommendation']['scale_value']:.3f} (data ratio)"
                 if cell["scale"] == "data ratio" else f"× {cell['scale']}")
        row = {LABELS.get(model, model): value for model, value in cell["per_model_mean"].items()}
        row["all models"] = cell["mean"]
        difference = cell["minus_recommended"]
        row["minus the chosen scale"] = f"{difference['mean']:+.4f} ± {difference['se']:.4f}"
        rows[scale] = row
    order = sorted(rows, key=lambda label: float(label.split()[1]))
    return pd.DataFrame(rows).T.loc[order].rename_axis(f"refit epochs ({rule})")
