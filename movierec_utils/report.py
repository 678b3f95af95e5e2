"""The main job: execute every notebook in order, then build the HTML report.

    python -m movierec_utils.report            # all notebooks, then report/index.html
    python -m movierec_utils.report 01 04      # only the notebooks whose names contain 01 or 04
    python -m movierec_utils.report --no-run   # only rebuild the HTML from the saved notebooks

A run is all or nothing. The selected notebooks are executed as copies in a staging folder
(``build/report-staging/``), where they also write their figures, results and README table;
only when every one of them has run are ``notebooks/``, ``figures/``, ``results/`` and
``README.md`` updated. A failure names the notebook and cell, changes nothing, and keeps the
staged copy for inspection. Every notebook is checked before anything runs or is written.
A line per notebook reports its wall time.
"""
from __future__ import annotations

import argparse
import filecmp
import json
import os
import shutil
import sys
import time
from pathlib import Path

from movierec_utils.paths import project_root

CELL_TIMEOUT_SECONDS = 1800
STAGED_FOLDERS = ("figures", "results")  # what notebooks write, through movierec_utils.paths


class NotebookError(Exception):
    """A notebook (or a choice of notebooks) that stops a command before it changes anything."""


class NotebookFailed(Exception):
    """A notebook that raised (or timed out) while executing, and the cell where it did."""

    def __init__(self, path: Path, cell_index: int | None, cell_count: int, error: Exception):
        self.path, self.cell_index, self.cell_count = path, cell_index, cell_count
        self.error = error
        super().__init__(f"{path.name}: {error_summary(error)}")


def notebooks() -> list[Path]:
    return sorted((project_root() / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def shown(path: Path) -> str:
    """``path`` relative to the project (as a reader types it), else absolute."""
    try:
        return str(path.relative_to(project_root()))
    except ValueError:
        return str(path)


def read_notebook(path: Path):
    """The notebook at ``path``, or a :class:`NotebookError` naming it and what is wrong."""
    import nbformat

    restore = f"git checkout -- {shown(path)}"
    try:
        text = path.read_text(encoding="utf-8")
        content = json.loads(text)  # first, for the line and column of a syntax error
    except (OSError, ValueError) as error:  # ValueError: not UTF-8, or not JSON
        raise NotebookError(f"{shown(path)} is not valid JSON ({error}); fix the file or "
                            f"restore it: {restore}") from None
    if not isinstance(content, dict) or not isinstance(content.get("nbformat"), int):
        raise NotebookError(f"{shown(path)} is JSON but not a notebook (no 'nbformat' version); "
                            f"restore it: {restore}")
    try:
        notebook = nbformat.reads(text, as_version=4)
        nbformat.validate(notebook)
    except nbformat.ValidationError as error:
        raise NotebookError(f"{shown(path)} is not a valid notebook ({error.message}); fix it "
                            f"or restore it: {restore}") from None
    except (ValueError, TypeError, KeyError, AttributeError) as error:  # an unconvertible one
        raise NotebookError(f"{shown(path)} is not a valid notebook ({error}); restore it: "
                            f"{restore}") from None
    return notebook


def for_every_notebook(paths: list[Path], action) -> dict[Path, object]:
    """``action(path)`` for each notebook, or one :class:`NotebookError` listing every notebook
    it failed for — so a command can check all of them before it runs or writes anything."""
    if not paths:
        raise NotebookError(f"no notebooks (NN_name.ipynb) in {project_root() / 'notebooks'}")
    done, problems = {}, []
    for path in paths:
        try:
            done[path] = action(path)
        except NotebookError as error:
            problems.append(str(error))
    if len(problems) > 1:
        raise NotebookError(f"{len(problems)} notebooks cannot be used:\n  - "
                            + "\n  - ".join(problems))
    if problems:
        raise NotebookError(problems[0])
    return done


def read_notebooks(paths: list[Path]) -> dict[Path, object]:
    """Every notebook read and validated, or one error naming each that cannot be."""
    return for_every_notebook(paths, read_notebook)


def select(paths: list[Path], names: list[str]) -> list[Path]:
    """The notebooks whose file names contain any of ``names`` (all when none is given); a name
    matching no notebook is an error listing the notebooks there are."""
    unmatched = [name for name in names if not any(name in path.name for path in paths)]
    if unmatched:
        listing = "\n  ".join(path.name for path in paths)
        raise NotebookError(f"no notebook matches {', '.join(map(repr, unmatched))}; give part "
                            f"of one of these names (e.g. 01):\n  {listing}")
    return [path for path in paths if not names or any(name in path.name for name in names)]


# --- execution in a staging folder -------------------------------------------------------------

def publish_root() -> Path:
    """Where a run publishes: the checkout, or ``MOVIEREC_OUTPUT_ROOT`` when the tests set it."""
    return Path(os.environ["MOVIEREC_OUTPUT_ROOT"]) if os.environ.get("MOVIEREC_OUTPUT_ROOT") \
        else project_root()


def staging_root() -> Path:
    return publish_root() / "build" / "report-staging"


def prepare_staging(selected: list[Path]) -> Path:
    """A fresh staging project: copies of the selected notebooks, of the results notebooks read
    (04 reads those of 01–03, of this run if they are selected) and of README.md."""
    staging = staging_root()
    shutil.rmtree(staging, ignore_errors=True)
    for folder in ("notebooks", *STAGED_FOLDERS):
        (staging / folder).mkdir(parents=True)
    for path in selected:
        shutil.copy2(path, staging / "notebooks" / path.name)
    # the committed results first, then those of a redirected output folder, as load_results reads
    for source in dict.fromkeys([project_root() / "results", publish_root() / "results"]):
        for result in source.glob("*.json"):
            shutil.copy2(result, staging / "results" / result.name)
    readme = project_root() / "README.md"
    if readme.is_file():
        shutil.copy2(readme, staging / "README.md")
    return staging


def kernel_environment(staging: Path) -> dict[str, str]:
    """The staging folder as the notebooks' project root, so they read and write only there.

    When outputs are not redirected, ``MOVIEREC_OUTPUT_ROOT`` is dropped so that notebook 04
    updates (the staged copy of) README.md as in a normal run; when they are, it points at the
    staging folder too, and README.md is left alone as ``summary.update_readme`` promises.
    """
    environment = {**os.environ, "MOVIEREC_ROOT": str(staging),
                   "MOVIEREC_OUTPUT_ROOT": str(staging)}
    return environment


def execute(staged: Path, environment: dict[str, str]) -> float:
    """Run a staged notebook top to bottom in its folder and save it with its outputs — also when
    it fails, so the error can be read in it; a failure raises :class:`NotebookFailed`."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(staged, as_version=4)
    current = {"cell": None}

    def remember_cell(cell, cell_index):
        current["cell"] = cell_index

    client = NotebookClient(notebook, timeout=CELL_TIMEOUT_SECONDS, kernel_name="python3",
                            resources={"metadata": {"path": str(staged.parent)}},
                            on_cell_start=remember_cell)
    started = time.perf_counter()
    try:
        client.execute(env=environment)
    except Exception as error:
        raise NotebookFailed(staged, current["cell"], len(notebook.cells), error) from error
    finally:
        nbformat.write(notebook, staged)
    return time.perf_counter() - started


def error_summary(error: Exception) -> str:
    """``ename: evalue`` of a failed cell, else the last line of the error."""
    if getattr(error, "ename", None):
        return f"{error.ename}: {error.evalue}"
    lines = [line for line in str(error).splitlines() if line.strip()]
    return f"{type(error).__name__}: {lines[-1] if lines else ''}"


def failure_message(failure: NotebookFailed, staging: Path) -> str:
    notebook = failure.path
    if failure.cell_index is None:
        where = f"{notebook.name} failed before its first cell (kernel start)"
    else:
        import nbformat

        source = nbformat.read(notebook, as_version=4).cells[failure.cell_index].source
        first_line = source.strip().splitlines()[0] if source.strip() else ""
        where = (f"{notebook.name} failed in cell {failure.cell_index + 1} of "
                 f"{failure.cell_count} (`{first_line[:70]}`)")
    return (f"FAILED: {where}: {error_summary(failure.error)}\n"
            "Nothing was changed: notebooks/, figures/, results/ and README.md are as before "
            "this run.\n"
            f"The staged run is kept for inspection in {shown(staging)}/ — the failed notebook, "
            f"with its outputs up to the error: {shown(notebook)}")


def run_staged(selected: list[Path]) -> dict[str, float]:
    """Execute the selected notebooks in order in a fresh staging folder; seconds per notebook.
    Raises :class:`NotebookFailed` at the first failure, before anything is published."""
    staging = prepare_staging(selected)
    environment = kernel_environment(staging)
    timings = {}
    for number, path in enumerate(selected, 1):
        print(f"[{number}/{len(selected)}] {path.name} …", flush=True)
        timings[path.stem] = execute(staging / "notebooks" / path.name, environment)
        print(f"      done in {timings[path.stem]:.0f} s", flush=True)
    return timings


def publish(staging: Path) -> list[str]:
    """Move the staged notebooks, and every staged figure, result and README.md that differs from
    the one in place, into place; then remove the staging folder. Returns what was updated."""
    updated = []
    for notebook in sorted((staging / "notebooks").glob("*.ipynb")):
        os.replace(notebook, project_root() / "notebooks" / notebook.name)
        updated.append(f"notebooks/{notebook.name}")
    for folder in STAGED_FOLDERS:
        (publish_root() / folder).mkdir(parents=True, exist_ok=True)
    moves = [(staged, publish_root() / folder / staged.name)
             for folder in STAGED_FOLDERS for staged in sorted((staging / folder).iterdir())]
    moves.append((staging / "README.md", project_root() / "README.md"))
    for staged, target in moves:
        if staged.is_file() and not (target.is_file() and filecmp.cmp(staged, target, False)):
            shutil.move(staged, target)
            updated.append(shown(target))
    shutil.rmtree(staging)
    return updated


def updated_summary(updated: list[str]) -> str:
    """``5 notebooks, 14 figures, 2 results, README.md`` from the paths :func:`publish` moved."""
    folders = {}
    for path in updated:
        folder = Path(path).parent.name or Path(path).name
        folders[folder] = folders.get(folder, 0) + 1
    return ", ".join(name if name == "README.md" else f"{count} {name}"
                     for name, count in folders.items()) or "nothing (outputs unchanged)"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-run", action="store_true",
                        help="only rebuild the HTML report from the saved notebooks")
    parser.add_argument("only", nargs="*",
                        help="run only the notebooks whose names contain these (e.g. 01 04); "
                             "the report always covers every notebook")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        read_notebooks(notebooks())  # every notebook, also those not selected: the report reads all
        selected = select(notebooks(), args.only)
    except NotebookError as error:
        print(f"error: {error}\nNothing was run or changed.", file=sys.stderr)
        return 2
    timings: dict[str, float] = {}
    if not args.no_run:
        try:
            timings = run_staged(selected)
        except NotebookFailed as failure:
            print(failure_message(failure, staging_root()), file=sys.stderr, flush=True)
            return 1
        print(f"Updated {updated_summary(publish(staging_root()))}.", flush=True)
    from movierec_utils.report_page import build_html

    index = build_html(read_notebooks(notebooks()), timings)
    print(f"Report: {index}  (total {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
