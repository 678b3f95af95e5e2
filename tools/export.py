"""``make export``: write the model modules from the notebooks that teach them.

The two-tower model, LightGCN and the deep model are written, explained and trained in notebooks
01, 02 and 03. Their cells marked ``#| export`` are the one source of that code; nbdev's
``nb_export`` copies them, in order, into ``movierec_utils/models/<name>.py`` (the name comes from
the notebook's ``#| default_exp`` cell), under a header that names the notebook to edit. Notebook
04, the tests and the benchmarks import those modules, so they run the very code the notebooks
show. A test re-exports into a scratch copy and fails when the committed modules differ.

    python -m tools.export            # rewrite the modules from the notebooks
    python -m tools.export --check    # exit 1, naming the files, if they are stale
"""
from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

from movierec_utils.paths import project_root

MODEL_NOTEBOOKS = ("01_two_tower.ipynb", "02_gnn.ipynb", "03_dnn.ipynb")
LIBRARY = Path("movierec_utils") / "models"


def export(root: Path | None = None) -> list[Path]:
    """Export every model notebook under ``root`` into ``root/movierec_utils/models``; returns
    the modules written. Raises ``ValueError`` when a notebook exports nothing."""
    from nbdev.export import nb_export

    root = Path(root or project_root())
    notebooks = [root / "notebooks" / name for name in MODEL_NOTEBOOKS]
    for notebook in notebooks:  # check them all before writing any module
        if not notebook.is_file():
            raise FileNotFoundError(f"{notebook} is missing: the model modules are exported from "
                                    f"{', '.join(MODEL_NOTEBOOKS)} in notebooks/")
    modules = [_default_exp(notebook) for notebook in notebooks]
    for notebook in notebooks:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # nbdev warns about running outside an nbdev project
            nb_export(str(notebook), lib_path=str(root / LIBRARY))
    return [root / LIBRARY / f"{module}.py" for module in modules]


def stale_modules(root: Path | None = None) -> list[str]:
    """Modules whose committed text differs from a fresh export (exported into a scratch copy
    with the same layout, so the headers' relative paths are the same)."""
    root = Path(root or project_root())
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch)
        shutil.copytree(root / "notebooks", copy / "notebooks",
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        (copy / LIBRARY).mkdir(parents=True)
        fresh = export(copy)
        return [str(LIBRARY / module.name) for module in fresh
                if not (root / LIBRARY / module.name).is_file()
                or not filecmp.cmp(module, root / LIBRARY / module.name, shallow=False)]


def _default_exp(notebook: Path) -> str:
    import nbformat

    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type == "code" and cell.source.lstrip().startswith("#| default_exp"):
            return cell.source.split()[2]
    raise ValueError(f"{notebook} has no `#| default_exp <module>` cell, so nothing says which "
                     "module its `#| export` cells belong to")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="only report modules that differ from a fresh export")
    args = parser.parse_args(argv)
    try:
        return _check() if args.check else _export()
    except (FileNotFoundError, ValueError) as error:
        print(f"make export: {error}", file=sys.stderr)
        return 2


def _check() -> int:
    stale = stale_modules()
    if stale:
        print(f"Stale: {', '.join(stale)} differ from notebooks/{{01,02,03}}. Edit the "
              "notebook, then run `make export` and commit both.", file=sys.stderr)
        return 1
    print("The model modules match their notebooks.")
    return 0


def _export() -> int:
    for module in export():
        print(f"wrote {module.relative_to(project_root())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
