"""Google Colab: the "Open in Colab" badge and the Colab-only setup cell of every notebook.

Both need the repository's public GitHub address, which only exists once the repository is
published, so this command writes them into the notebooks (outputs are kept):

    python -m tools.colab https://github.com/OWNER/NAME   # or: make colab REPOSITORY=…
    python -m tools.colab                                 # address of `git remote origin`

The address is checked (a GitHub https or ssh address with a valid owner and name) before it is
used anywhere; ``make colab`` hands it over through the environment, so no shell parses it.

It is idempotent: run it again (say, after a move) and the badge and cell are replaced, not added.

The setup cell does nothing outside Colab. In Colab it clones the repository to
``/content/movierec``, installs what Colab lacks — tensorflow-recommenders, and ``tf-keras`` of
the same minor version as Colab's own TensorFlow, which it keeps because replacing an imported
or installed TensorFlow needs a runtime restart — and puts the checkout on ``sys.path`` and its
``notebooks/`` folder as the working folder, so every later cell runs exactly as in a local
checkout (MovieLens is then downloaded by tfds, since Colab is online).
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

from movierec_utils.paths import project_root, write_all
from tools.notebooks import (NotebookError, for_every_notebook, notebooks, read_notebook,
                             relative_name, shown)

SETUP_TAG = "colab-setup"
COLAB_CHECKOUT = "/content/movierec"
# Besides tf-keras; pip leaves any already present alone (Colab ships tensorflow-datasets).
COLAB_PACKAGES = ("tensorflow-recommenders==0.7.7", "tensorflow-datasets", "importlib_resources")
BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
_GITHUB_ADDRESS = re.compile(
    r"^(?:https://github\.com/|git@github\.com:|ssh://git@github\.com/)"
    r"(?P<owner>[^/]+)/(?P<name>[^/]+?)(?:\.git)?/?$")
# GitHub's rules: an owner is 1–39 letters, digits or hyphens, not starting or ending with one;
# a repository name is 1–100 letters, digits, '.', '_' or '-', and not '.' or '..'.
_GITHUB_OWNER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?$")
_GITHUB_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


def github_repository(address: str) -> str:
    """``"owner/name"`` from a GitHub https or ssh address (as ``git remote`` prints it)."""
    match = _GITHUB_ADDRESS.match(address.strip())
    if not match:
        raise ValueError(f"{address!r} is not a GitHub repository address; give one like "
                         "https://github.com/OWNER/NAME (Colab opens notebooks from GitHub).")
    owner, name = match["owner"], match["name"]
    if not _GITHUB_OWNER.match(owner):
        raise ValueError(f"{address!r}: {owner!r} is not a GitHub account name (letters, digits "
                         "and inner hyphens, at most 39); give https://github.com/OWNER/NAME")
    if not _GITHUB_NAME.match(name) or name in (".", ".."):
        raise ValueError(f"{address!r}: {name!r} is not a GitHub repository name (letters, "
                         "digits, '.', '_' and '-', not '.' or '..'); give "
                         "https://github.com/OWNER/NAME")
    return f"{owner}/{name}"


def origin_address(root: Path | None = None) -> str:
    """The address of the checkout's ``origin`` remote, or a clear error if there is none."""
    completed = subprocess.run(["git", "remote", "get-url", "origin"], cwd=root or project_root(),
                               capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError("this checkout has no `origin` remote; pass the published address: "
                           "python -m tools.colab https://github.com/OWNER/NAME "
                           "(or make colab REPOSITORY=https://github.com/OWNER/NAME)")
    return completed.stdout.strip()


def badge_markdown(repository: str, branch: str, notebook_name: str) -> str:
    target = (f"https://colab.research.google.com/github/{repository}/blob/{branch}/"
              f"notebooks/{notebook_name}")  # notebook_name: its path below notebooks/
    return f"[![Open In Colab]({BADGE_IMAGE})]({target})"


def setup_cell_source(clone_address: str, branch: str, checkout: str = COLAB_CHECKOUT,
                      folder: str = "notebooks") -> str:
    """The first code cell: in Colab, fetch and install this repository, and work in the
    notebook's ``folder`` of the checkout; elsewhere, nothing."""
    def quoted(text: str) -> str:
        return json.dumps(text)  # a JSON string of plain text is a Python string literal

    packages = ", ".join(quoted(package) for package in COLAB_PACKAGES)
    return f'''\
# Colab only: fetch this repository and the packages Colab lacks; elsewhere this cell does nothing.
import sys

if "google.colab" in sys.modules:
    import importlib.metadata
    import os
    import subprocess

    CHECKOUT = {quoted(checkout)}
    PACKAGES = [{packages}]
    if not os.path.isdir(CHECKOUT):
        subprocess.run(["git", "clone", "--quiet", "--depth", "1", "--branch", {quoted(branch)},
                        {quoted(clone_address)}, CHECKOUT], check=True)
    # Keep Colab's TensorFlow (replacing it needs a restart); tf-keras must match its minor version.
    tf_minor = ".".join(importlib.metadata.version("tensorflow").split(".")[:2])
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    f"tf-keras~={{tf_minor}}.0", *PACKAGES], check=True)
    sys.path.insert(0, CHECKOUT)
    os.chdir(os.path.join(CHECKOUT, {quoted(folder)}))'''


def add_to_notebook(notebook, repository: str, branch: str, notebook_name: str,
                    clone_address: str | None = None):
    """Badge under the title of the first (markdown) cell; setup cell as the first code cell.

    An earlier badge or setup cell is replaced, so running this twice changes nothing.
    """
    import nbformat

    title = notebook.cells[0]
    if title.cell_type != "markdown" or not title.source.startswith("# "):
        raise ValueError(f"{notebook_name}: the first cell must be the markdown title ('# …')")
    heading, _, rest = title.source.partition("\n")
    rest = re.sub(r"^\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)\n", "", rest.lstrip("\n"))
    rest = rest.lstrip("\n")
    title.source = f"{heading}\n\n{badge_markdown(repository, branch, notebook_name)}\n\n{rest}"

    notebook.cells = [cell for cell in notebook.cells
                      if SETUP_TAG not in cell.get("metadata", {}).get("tags", [])]
    code_cells = [i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"]
    if not code_cells:
        raise ValueError(f"{notebook_name}: has no code cell, so there is no place for the Colab "
                         "setup cell (it goes before the first one); add the notebook's code")
    first_code = code_cells[0]
    folder = "/".join(["notebooks", *notebook_name.split("/")[:-1]])
    cell = nbformat.v4.new_code_cell(
        setup_cell_source(clone_address or f"https://github.com/{repository}.git", branch,
                          folder=folder),
        metadata={"tags": [SETUP_TAG]})
    cell["id"] = SETUP_TAG  # fixed, so re-running does not change the file
    notebook.cells.insert(first_code, cell)
    return notebook


def stamped_text(path: Path, repository: str, branch: str) -> str:
    """The notebook's file text with badge and setup cell, or a :class:`NotebookError`."""
    import nbformat

    notebook = read_notebook(path)
    try:
        add_to_notebook(notebook, repository, branch, relative_name(path))
    except ValueError as error:
        raise NotebookError(
            f"{shown(path)}: {str(error).removeprefix(relative_name(path) + ': ')}") from None
    text = nbformat.writes(notebook)
    return text if text.endswith("\n") else text + "\n"  # as nbformat.write ends a file


def stamp_all(paths: list[Path], repository: str, branch: str) -> dict[Path, str]:
    """Every notebook's new text — or one error naming each notebook that cannot take the badge
    and setup cell; nothing is written here."""
    return for_every_notebook(paths, lambda path: stamped_text(path, repository, branch))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("address", nargs="?",
                        help="GitHub address of the published repository (default: origin's)")
    parser.add_argument("--branch", default="main")
    arguments = parser.parse_args(argv)
    try:
        repository = github_repository(arguments.address or origin_address())
    except (ValueError, RuntimeError) as error:
        parser.exit(2, f"error: {error}\n")
    try:
        stamped = stamp_all(notebooks(), repository, arguments.branch)
    except NotebookError as error:
        parser.exit(1, f"error: {error}\nNo notebook was changed.\n")
    write_all(stamped)
    for path in stamped:
        print(f"{relative_name(path)}: Colab badge and setup cell for github.com/{repository} "
              f"({arguments.branch})")


if __name__ == "__main__":
    main(sys.argv[1:])
