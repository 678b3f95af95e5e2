"""The house style for every figure, and saving PNGs into ``figures/``."""
from __future__ import annotations

import matplotlib.pyplot as plt

from movierec_utils.paths import output_dir

#: One colour per model, used in every notebook so a model looks the same everywhere.
MODEL_COLOURS = {
    "random": "#b0b0b0", "popularity": "#7f7f7f", "ease": "#8c564b",
    "two_tower": "#1f77b4", "gnn": "#2ca02c", "dnn": "#d62728",
}


def use_style() -> None:
    plt.rcParams.update({
        "figure.figsize": (8, 4.5), "figure.dpi": 100, "savefig.dpi": 120,
        "savefig.bbox": "tight", "axes.spines.top": False, "axes.spines.right": False,
        "axes.grid": True, "grid.alpha": 0.3, "axes.titleweight": "bold",
        "axes.titlesize": 12, "axes.labelsize": 11, "legend.frameon": False,
        "font.size": 10,
    })


def save_figure(fig, name: str):
    """Save ``fig`` as ``figures/<name>.png`` and return the path."""
    path = output_dir("figures") / f"{name}.png"
    fig.savefig(path)
    return path


def colour(model: str) -> str:
    return MODEL_COLOURS.get(model, "#9467bd")


def learning_curves(model, title: str, colour: str, loss_label: str):
    """Two panels of an early-stopped fit (``model.history_``): the training loss, and
    validation NDCG@10 and Recall@10 with the kept epoch marked. ``title`` names the model."""
    history = {key: [record[key] for record in model.history_]
               for key in ("epoch", "loss", "valid_ndcg@10", "valid_recall@10")}
    fig, axes = plt.subplots(1, 2, figsize=(12, 3.8))
    axes[0].plot(history["epoch"], history["loss"], color=colour)
    axes[0].set(title=f"{title}: training loss", xlabel="epoch", ylabel=loss_label)
    axes[1].plot(history["epoch"], history["valid_ndcg@10"], color=colour, label="NDCG@10")
    axes[1].plot(history["epoch"], history["valid_recall@10"], "--", color=colour,
                 label="Recall@10")
    axes[1].axvline(model.best_epoch_, color="grey", linestyle=":",
                    label=f"best epoch ({model.best_epoch_}, kept)")
    axes[1].set(title=f"{title}: validation", xlabel="epoch", ylabel="metric on validation")
    axes[1].legend(loc="lower right", frameon=True, framealpha=0.95, edgecolor="none")  # over the line
    return fig
