"""README.md's generated blocks, rewritten by ``make report`` from ``results/summary.json``.

A block is the text between ``<!-- NAME:start … -->`` and ``<!-- NAME:end -->`` (the start marker
may say what generates it). Only the blocks are rewritten, in the README as it is when the run
publishes, so an edit made to the prose meanwhile is kept. Two blocks:

* ``headline`` — one paragraph: the bar (EASE) and the best neural model against it;
* ``results`` — the results table and the verdicts (``movierec_utils.summary.readme_table``).

The verdict words ("a tie with EASE", …) come from ``summary.verdicts_against``, the one rule.
"""
from __future__ import annotations

import re
from pathlib import Path

BLOCKS = ("headline", "results")


class ReadmeError(ValueError):
    """A README without the markers of a block it must hold."""


def _pattern(name: str) -> re.Pattern:
    return re.compile(rf"(<!-- {name}:start\b[^>]*-->)\n?(.*?)\n?(<!-- {name}:end -->)", re.S)


def missing_blocks(text: str, names=BLOCKS) -> list[str]:
    return [name for name in names if not _pattern(name).search(text)]


def check_markers(readme: Path, names=BLOCKS) -> None:
    """Raise :class:`ReadmeError` naming every block whose markers ``readme`` lacks."""
    text = readme.read_text(encoding="utf-8") if readme.is_file() else ""
    missing = missing_blocks(text, names)
    if missing:
        wanted = "; ".join(f"<!-- {name}:start --> … <!-- {name}:end -->" for name in missing)
        raise ReadmeError(f"{readme} has no markers for the generated block(s) "
                          f"{', '.join(missing)}: put {wanted} where each belongs")


def block(text: str, name: str) -> str:
    """The body of block ``name`` in README text ('' when its markers are missing)."""
    match = _pattern(name).search(text)
    return match.group(2) if match else ""


def replace_blocks(text: str, bodies: dict[str, str]) -> str:
    """``text`` with the body of each named block replaced; everything else kept byte for byte."""
    missing = missing_blocks(text, bodies)
    if missing:
        raise ReadmeError(f"README has no markers for {', '.join(missing)}")
    for name, body in bodies.items():
        text = _pattern(name).sub(lambda match: f"{match.group(1)}\n{body}\n{match.group(3)}",
                                  text, count=1)
    return text


def _verdict_rows(summary_record: dict) -> list[dict]:
    """Each model's verdict against EASE (``summary.verdicts_against``, the one tie rule);
    empty when the summary holds no paired tests."""
    from movierec_utils import summary

    try:
        return summary.verdicts_against("ease", summary_record)
    except KeyError:
        return []


def headline(summary_record: dict) -> str:
    """The first-screen result: EASE's score (the bar) and the best neural model's, with the
    verdict of the paired tests."""
    from movierec_utils import summary

    models = summary_record["models"]
    label = summary.LABELS.get
    neural = [name for name in models if name not in ("popularity", "ease", "random")]
    best = summary_record.get("best_neural_model") or max(
        neural, key=lambda name: models[name]["ndcg@10"]["mean"])

    def score(name):
        stats = models[name]["ndcg@10"]
        return f"{stats['mean']:.3f} ± {stats['std']:.3f}"

    seeds = len(summary_record["split_seeds"])
    sentence = (f"**Headline.** On MovieLens 100k (NDCG@10, mean ± std over {seeds} splits), "
                f"the closed-form linear baseline EASE scores {score('ease')}; the best neural "
                f"model, {label(best, best)}, scores {score(best)}")
    row = next((row for row in _verdict_rows(summary_record) if row["model"] == best), None)
    if row:
        sentence += (f" — significantly better on {row['splits better']} and worse on "
                     f"{row['splits worse']} of {row['splits']} splits by paired per-user tests:"
                     f" **{row['verdict']}** by the repository's rule")
    sentence += "."
    time_split = summary_record.get("time_split")
    if time_split:  # notebook 04's second protocol: the latest ratings held out
        metrics, tests = time_split["metrics"], time_split["versus_ease"]
        best_time = max(tests, key=lambda name: metrics[name]["ndcg@10"])
        sentence += (f" On a split by time (the latest {time_split['test_ratio']:.0%} of ratings "
                     f"held out; {time_split['warm_test_users']} test users with training ratings) "
                     f"EASE scores {metrics['ease']['ndcg@10']:.3f} and the best neural"
                     f" model, {label(best_time, best_time)}, "
                     f"{metrics[best_time]['ndcg@10']:.3f} (paired p = "
                     f"{tests[best_time]['Wilcoxon p']:.2g}).")
    return sentence


def generated_blocks(summary_record: dict) -> dict[str, str]:
    from movierec_utils import summary

    return {"headline": headline(summary_record), "results": summary.readme_table(summary_record)}


def updated_readme(readme: Path, summary_record: dict) -> str:
    """README text as it is now on disk, with its generated blocks rewritten."""
    return replace_blocks(readme.read_text(encoding="utf-8"), generated_blocks(summary_record))
