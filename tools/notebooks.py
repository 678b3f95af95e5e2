"""The course's notebooks, in reading order, and reading one with a clear error when it is bad.

The order is the book's and ``make report``'s: the lessons ``notebooks/NN_*.ipynb``, then the
appendix ``notebooks/appendix/*.ipynb``, then the solutions ``notebooks/solutions/*.ipynb``.
"""
from __future__ import annotations

import json
from pathlib import Path

from movierec_utils.paths import project_root

PARTS = (("lessons", "", "[0-9][0-9]_*.ipynb"),
         ("appendix", "appendix", "*.ipynb"),
         ("solutions", "solutions", "*.ipynb"))


class NotebookError(Exception):
    """A notebook (or a choice of notebooks) that stops a command before it changes anything."""


def notebooks_folder() -> Path:
    return project_root() / "notebooks"


def notebooks_by_part() -> dict[str, list[Path]]:
    """``{"lessons": [...], "appendix": [...], "solutions": [...]}``, each sorted by name."""
    folder = notebooks_folder()
    return {part: sorted(path for path in (folder / sub).glob(pattern) if path.is_file())
            for part, sub, pattern in PARTS}


def notebooks() -> list[Path]:
    """Every notebook of the course in reading order: lessons, appendix, solutions."""
    return [path for paths in notebooks_by_part().values() for path in paths]


def relative_name(path: Path) -> str:
    """The notebook's path below ``notebooks/`` (``01_two_tower.ipynb``,
    ``solutions/01_two_tower_solutions.ipynb``)."""
    try:
        return path.relative_to(notebooks_folder()).as_posix()
    except ValueError:
        return path.name


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
        raise NotebookError(f"no notebooks (NN_name.ipynb) in {notebooks_folder()}")
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


def notebook_title(notebook, path: Path) -> str:
    """The first markdown heading ``# …`` of a notebook, else its file name."""
    import re

    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#\s+(.+)$", cell.source, flags=re.M)
            if match:
                return match.group(1).strip()
    return path.stem
