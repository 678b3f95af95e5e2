"""Small helpers for the notebooks' prose: numbers in sentences come from variables."""
from __future__ import annotations

import pandas as pd


def say(markdown: str) -> None:
    """Render a Markdown sentence built from live values (an f-string) as cell output."""
    from IPython.display import Markdown, display

    display(Markdown(markdown))


def metrics_table(rows: dict[str, dict], metrics=("ndcg@10", "precision@10", "recall@10",
                                                   "map@10", "hit_rate@10", "coverage@10"),
                  digits: int = 4) -> pd.DataFrame:
    """A models × metrics table from ``{model name: metrics dict}``."""
    table = pd.DataFrame(rows).T
    return table[[m for m in metrics if m in table]].astype(float).round(digits)


def user_history(ratings: pd.DataFrame, user_id: str, n: int = 5) -> pd.DataFrame:
    """A user's highest-rated movies (most recent first among equal stars)."""
    history = ratings[ratings["user_id"] == str(user_id)]
    return (history.sort_values(["user_rating", "timestamp"], ascending=False)
            .head(n)[["movie_title", "user_rating"]].reset_index(drop=True))
