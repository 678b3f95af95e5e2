"""Small helpers for the notebooks' prose: numbers in sentences come from variables."""
from __future__ import annotations

import pandas as pd


def say(markdown: str) -> None:
    """Render a Markdown sentence built from live values (an f-string) as cell output."""
    from IPython.display import Markdown, display

    display(Markdown(markdown))


def benchmark_record(name: str, module) -> dict:
    """``results/<name>.json``, written by ``benchmarks/<name>.py``, for a lesson to read instead
    of re-running it. When ``module``'s source differs from the one the benchmark recorded
    (``<module>_code_sha256``), a note under the cell says to run the benchmark again."""
    from pathlib import Path

    from movierec_utils import results

    record = results.load_results(name)
    if record is None:
        raise FileNotFoundError(f"results/{name}.json is missing: run "
                                f"`python benchmarks/{name}.py` from the repository's root")
    file_name = Path(module.__file__).name
    if record.get(f"{Path(file_name).stem}_code_sha256") != results.code_digest(module):
        say(f"**Note:** `results/{name}.json` was measured with another version of "
            f"`{file_name}`; run `python benchmarks/{name}.py` again.")
    return record


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


NOT_ANSWERED = None


def check(exercise: str, answer, *, expected=None, low=None, high=None, hint: str = "") -> None:
    """The check cell of an exercise: the student stores an answer in a variable that starts as
    ``None`` and runs ``check("2", answer_2, low=…, high=…, hint="…")``.

    ``None`` (not answered yet) prints the hint, so the committed notebook runs top to bottom;
    a right answer prints so; a wrong one raises AssertionError
    saying what was expected. A number is right within ``[low, high]`` when either is given,
    else when it equals ``expected`` (``np.isclose`` for floats); ``expected`` may also be a
    function of the answer that returns True when it is right.
    """
    import numpy as np

    label = f"Exercise {exercise}"
    if answer is NOT_ANSWERED:
        print(f"{label}: not answered yet. Hint: {hint}" if hint else f"{label}: not answered yet.")
        return
    if low is not None or high is not None:
        lower = -np.inf if low is None else low
        upper = np.inf if high is None else high
        right, wanted = bool(lower <= float(answer) <= upper), f"a value in [{lower}, {upper}]"
    elif callable(expected):
        right, wanted = bool(expected(answer)), "an answer the exercise describes"
    elif isinstance(expected, float) or isinstance(answer, float):
        right, wanted = bool(np.isclose(float(answer), float(expected))), f"{expected!r}"
    else:
        right, wanted = answer == expected, f"{expected!r}"
    if not right:
        raise AssertionError(f"{label}: {answer!r} is not right; expected {wanted}. {hint}".strip())
    print(f"{label}: right.")


def beside_history(ratings: pd.DataFrame, recommendations: pd.DataFrame, user_id: str,
                   label: str, n: int = 5) -> pd.DataFrame:
    """A user's ``n`` highest-rated movies beside the first ``n`` of their recommendations
    (a ``recommend`` frame), the column of the latter headed ``label``."""
    return pd.concat([
        user_history(ratings, user_id, n).rename(columns={"movie_title": "rated highest"}),
        recommendations.head(n)[["movie_title"]].rename(columns={"movie_title": label})], axis=1)


def saved_test_rows(labels: dict[str, str]) -> dict[str, dict]:
    """Test metrics of other lessons as ``make report`` published them in ``results/`` (never a
    student's scratch run, which may have other parameters), as ``metrics_table`` rows:
    ``{"baselines": "EASE (00)", "gnn": "LightGCN (02)"}`` → ``{"EASE (00)": {...}, …}``
    (EASE from notebook 00's record); a lesson without a published record is left out."""
    from movierec_utils import results

    rows = {}
    for name, label in labels.items():
        if record := results.load_results(name, published=True):
            rows[label] = record["metrics"]["ease" if name == "baselines" else "test"]
    return rows


def bootstrap_interval(differences, samples: int, rng) -> tuple[float, float]:
    """95% interval of the mean of per-user ``differences`` (paired: each user's difference
    between two models), from ``samples`` resamples of the users drawn with ``rng``."""
    import numpy as np

    differences = np.asarray(differences, dtype=float)
    means = rng.choice(differences, size=(samples, len(differences))).mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


def note_unless_defaults(model, where: str) -> None:
    """A note under the cell when ``model``'s settings are not its class's defaults — the
    configuration notebook 04 and the README train; ``where`` names the cell that sets them."""
    if model.get_params() != type(model)(seed=model.seed).get_params():
        say(f"**Note:** the configuration trained here differs from `{type(model).__name__}()`'s "
            f"defaults, which notebook 04 and the README train; to report it, update the defaults "
            f"in {where}.")
