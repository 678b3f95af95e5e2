"""``make book``: the course as a Jupyter Book, built from the executed notebooks in seconds.

    python -m tools.book      # build/book/_build/html/index.html

The source is assembled in ``build/book/src/``: ``book/_config.yml``, copies of the notebooks as
``make report`` left them (never executed again: ``execute_notebooks: "off"``), a table of
contents (the lessons in order, the appendix, the solutions in their own part) and an intro page
written from ``results/*.json`` — abstract, the README's results table and verdicts, key
findings. Cell tags give the reading view: ``hide-input`` folds plumbing code, ``remove-cell``
drops it.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

from movierec_utils.paths import project_root
from tools.notebooks import notebooks_by_part, read_notebook, relative_name

PART_CAPTIONS = {"lessons": "Lessons", "appendix": "Appendix", "solutions": "Solutions"}


class BookError(Exception):
    """The book could not be built; says why and where the build log is."""


def book_root() -> Path:
    return project_root() / "build" / "book"


def html_index() -> Path:
    return book_root() / "_build" / "html" / "index.html"


# --- the intro page, from results/*.json -------------------------------------------------------

def _load(name: str) -> dict | None:
    """The committed ``results/<name>.json`` (what the book's notebooks show), or None."""
    from movierec_utils.results import read_results_file

    path = project_root() / "results" / f"{name}.json"
    return read_results_file(path) if path.is_file() else None


def _mean_std(stats: dict) -> str:
    return f"{stats['mean']:.3f} ± {stats['std']:.3f}"


def _duration(seconds: float) -> str:
    """``9.4 s``, and two significant digits below a second (``0.049 s``), never ``0.0 s``."""
    return f"{seconds:.1f} s" if seconds >= 1 else f"{seconds:.2g} s"


def abstract(summary: dict) -> str:
    from movierec_utils.summary import LABELS

    models = summary["models"]
    names = ", ".join(LABELS.get(name, name) for name in models)
    users = (summary.get("runs") or [{}])[0].get("n_users")
    seeds = ", ".join(str(seed) for seed in summary["split_seeds"])
    return (f"This course builds, explains and compares {len(models)} movie recommenders — "
            f"{names} — on MovieLens 100k. Each is evaluated by ranking every movie for each of "
            f"the {f'{users:,} ' if users else ''}users with the movies they rated in training "
            f"masked: a per-user {summary['ratio']:.0%} / {1 - summary['ratio']:.0%} split, "
            f"k = {summary['k']}, repeated over split seeds {seeds}; every setting is chosen on "
            "validation data and the test split is read once per model.")


def findings(summary: dict, two_tower: dict | None, dnn: dict | None) -> list[str]:
    """Key findings, each a sentence with its numbers read from the results files."""
    from movierec_utils.summary import LABELS
    from tools.readme import headline

    models = summary["models"]
    label = lambda name: LABELS.get(name, name)  # noqa: E731
    items = [headline(summary).removeprefix("**Headline.** ")]
    if "popularity" in models:
        best = max(models, key=lambda name: models[name]["ndcg@10"]["mean"])
        ratio = models[best]["ndcg@10"]["mean"] / models["popularity"]["ndcg@10"]["mean"]
        items.append(f"Recommending the most-rated movies (Popularity) reaches NDCG@10 "
                     f"{_mean_std(models['popularity']['ndcg@10'])} while covering "
                     f"{models['popularity']['coverage@10']['mean']:.1%} of the catalogue; "
                     f"{label(best)} reaches {ratio:.2f}× that.")
    seconds = {name: models[name]["train_seconds"]["mean"] for name in models}
    items.append("Training time per fit (mean over the splits): " + ", ".join(
        f"{label(name)} {_duration(seconds[name])}" for name in sorted(seconds, key=seconds.get))
                 + ".")
    coverage = sorted(models, key=lambda name: models[name]["coverage@10"]["mean"])
    items.append(f"Catalogue coverage@10 (share of movies recommended to anyone) ranges from "
                 f"{_mean_std(models[coverage[0]]['coverage@10'])} ({label(coverage[0])}) to "
                 f"{_mean_std(models[coverage[-1]]['coverage@10'])} ({label(coverage[-1])}).")
    metrics = (two_tower or {}).get("metrics", {})
    if "original_recipe_test" in metrics and "test" in metrics:
        original, ours = metrics["original_recipe_test"]["ndcg@10"], metrics["test"]["ndcg@10"]
        items.append(f"On the same test split the original report's two-tower recipe scores "
                     f"NDCG@10 {original:.3f}; the configuration chosen on validation data "
                     f"scores {ours:.3f}.")
    metrics = (dnn or {}).get("metrics", {})
    if all(key in metrics for key in ("cold_start", "cold_start_popularity",
                                      "cold_start_ndcg_difference_ci95")):
        low, high = metrics["cold_start_ndcg_difference_ci95"]
        items.append(f"For users held out as new (cold start), the deep model with features "
                     f"scores NDCG@10 {metrics['cold_start']:.3f} against popularity's "
                     f"{metrics['cold_start_popularity']:.3f} (difference 95% CI {low:+.4f} to "
                     f"{high:+.4f}).")
    return items


def reading_order(parts: dict[str, list[Path]]) -> str:
    lines = []
    for part, paths in parts.items():
        for path in paths:
            title = _title(path)
            lines.append(f"| {PART_CAPTIONS[part]} | [{title}]({_doc(path)}.ipynb) |")
    return "| part | notebook |\n|---|---|\n" + "\n".join(lines)


def intro_page(parts: dict[str, list[Path]]) -> str:
    from movierec_utils.summary import readme_table

    summary = _load("summary")
    title = _config_title()
    if summary is None:
        body = ("No results yet: `results/summary.json` is written by notebook 04; run "
                "`make report`.\n")
    else:
        items = "\n".join(f"{number}. {item}" for number, item in
                          enumerate(findings(summary, _load("two_tower"), _load("dnn")), 1))
        body = (f"## Abstract\n\n{abstract(summary)}\n\n"
                f"## Results\n\n{readme_table(summary)}\n\n"
                f"## Key findings\n\n{items}\n")
    return (f"# {title}\n\n{body}\n## The notebooks\n\nRead the lessons in order; the appendix "
            "holds the studies the lessons link to, and each lesson's exercises are worked in "
            f"its solutions notebook.\n\n{reading_order(parts)}\n")


# --- assembling and building -------------------------------------------------------------------

def _doc(path: Path) -> str:
    return "notebooks/" + relative_name(path).removesuffix(".ipynb")


def _title(path: Path) -> str:
    from tools.notebooks import notebook_title

    return notebook_title(read_notebook(path), path)


def _config_title() -> str:
    for line in (project_root() / "book" / "_config.yml").read_text(encoding="utf-8").splitlines():
        if line.startswith("title:"):
            return line.partition(":")[2].strip().strip('"')
    return "movierec"


def table_of_contents(parts: dict[str, list[Path]]) -> str:
    lines = ["format: jb-book", "root: intro", "parts:"]
    for part, paths in parts.items():
        if paths:
            lines += [f"  - caption: {PART_CAPTIONS[part]}", "    chapters:"]
            lines += [f"      - file: {_doc(path)}" for path in paths]
    return "\n".join(lines) + "\n"


def assemble(source: Path) -> dict[str, list[Path]]:
    """``source`` as a fresh book source folder; returns the notebooks it holds, by part."""
    parts = notebooks_by_part()
    shutil.rmtree(source, ignore_errors=True)
    (source / "notebooks").mkdir(parents=True)
    for config in (project_root() / "book").glob("*.*"):  # _config.yml, offline_book.py
        shutil.copy2(config, source / config.name)
    for paths in parts.values():
        for path in paths:
            target = source / "notebooks" / relative_name(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(without_widget_state(path), encoding="utf-8")
    if (project_root() / "figures").is_dir():  # for markdown that shows a committed figure
        shutil.copytree(project_root() / "figures", source / "figures")
    (source / "_toc.yml").write_text(table_of_contents(parts), encoding="utf-8")
    (source / "intro.md").write_text(intro_page(parts), encoding="utf-8")
    return parts


def without_widget_state(path: Path) -> str:
    """The notebook's text without saved widget state (progress bars): a static page cannot
    run widgets, and their state makes the page load require.js from a CDN."""
    import nbformat

    notebook = read_notebook(path)
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            output.get("data", {}).pop("application/vnd.jupyter.widget-view+json", None)
    return nbformat.writes(notebook)


def jupyter_book_command() -> list[str]:
    program = Path(sys.executable).with_name("jupyter-book")
    if program.is_file():
        return [str(program)]
    found = shutil.which("jupyter-book")
    if not found:
        raise BookError("jupyter-book is not installed: run `make install` (requirements.txt "
                        "pins jupyter-book<2)")
    return [found]


def build() -> Path:
    """Assemble and build the book; returns its ``index.html``. Raises :class:`BookError`."""
    root = book_root()
    source = root / "src"
    assemble(source)
    shutil.rmtree(root / "_build", ignore_errors=True)
    log = root / "build.log"
    completed = subprocess.run([*jupyter_book_command(), "build", str(source), "--path-output",
                                str(root), "--quiet"], capture_output=True, text=True)
    log.write_text(completed.stdout + completed.stderr, encoding="utf-8")
    if completed.returncode != 0 or not html_index().is_file():
        tail = "\n".join((completed.stdout + completed.stderr).strip().splitlines()[-15:])
        raise BookError(f"jupyter-book exited with {completed.returncode}; the end of its log "
                        f"({log}):\n{tail}")
    return html_index()


def main() -> int:
    started = time.perf_counter()
    try:
        index = build()
    except BookError as error:
        print(f"make book: {error}", file=sys.stderr)
        return 1
    print(f"Book: {index} ({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
