"""The Colab badge and setup cell: where they go, that re-running changes nothing, that the cell
is inert outside Colab, and that in a (simulated) Colab it makes the package importable."""
import copy
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

from tools import colab

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "notebooks" / "01_two_tower.ipynb"


@pytest.mark.parametrize("address", [
    "https://github.com/someone/movierec", "https://github.com/someone/movierec.git",
    "git@github.com:someone/movierec.git", "ssh://git@github.com/someone/movierec.git",
    "https://github.com/someone/movierec/"])
def test_github_repository_accepts_the_addresses_git_prints(address):
    assert colab.github_repository(address) == "someone/movierec"


@pytest.mark.parametrize("address", ["", "movierec", "https://gitlab.com/someone/movierec",
                                     "https://github.com/someone"])
def test_github_repository_rejects_other_addresses_saying_what_to_give(address):
    with pytest.raises(ValueError, match="https://github.com/OWNER/NAME"):
        colab.github_repository(address)


@pytest.mark.parametrize("address", [
    "https://github.com/../..", "https://github.com/someone/..", "https://github.com/someone/.",
    "https://github.com/some_one/movierec", "https://github.com/-someone/movierec",
    "https://github.com/someone-/movierec", "https://github.com/someone/movie%20rec",
    "git@github.com:someone/movie$rec.git", "https://github.com/" + "a" * 40 + "/movierec"])
def test_github_repository_rejects_names_github_does_not_allow(address):
    with pytest.raises(ValueError, match="is not a GitHub (account|repository) name"):
        colab.github_repository(address)


def test_github_repository_accepts_every_character_github_allows():
    address = "https://github.com/Some-1/movie.rec_2-x"
    assert colab.github_repository(address) == "Some-1/movie.rec_2-x"


def test_origin_address_without_remote_says_how_to_pass_the_address(tmp_path):
    subprocess.run(["git", "init", "--quiet", str(tmp_path)], check=True)
    with pytest.raises(RuntimeError, match="python -m tools.colab https://github.com/"):
        colab.origin_address(tmp_path)


def stamped(notebook, repository="someone/movierec"):
    return colab.add_to_notebook(copy.deepcopy(notebook), repository, "main", NOTEBOOK.name)


def test_a_solutions_notebook_gets_its_own_path_in_the_badge_and_works_in_its_folder():
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Solutions"),
                                               nbformat.v4.new_code_cell("x = 1")])
    colab.add_to_notebook(notebook, "someone/movierec", "main", "solutions/01_x.ipynb")
    assert "/blob/main/notebooks/solutions/01_x.ipynb)" in notebook.cells[0].source
    assert 'os.chdir(os.path.join(CHECKOUT, "notebooks/solutions"))' in notebook.cells[1].source


def make_colab(root: Path, address: str):
    """``make colab REPOSITORY=<address>`` from this checkout's Makefile, run in ``root`` with
    the project at ``root`` (``-o install``: the virtualenv is taken as it is)."""
    environment = {**os.environ, "MOVIEREC_ROOT": str(root), "PYTHONPATH": str(REPO)}
    return subprocess.run(["make", "--no-print-directory", "-f", str(REPO / "Makefile"),
                           f"VENV={Path(sys.executable).parent.parent}", "-o", "install",
                           "colab", f"REPOSITORY={address}"], cwd=root, env=environment,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
@pytest.mark.parametrize("address, message", [
    ("https://github.com/a/b;touch INJECTED", "'b;touch INJECTED' is not a GitHub repository name"),
    ("https://github.com/a/b$(touch INJECTED)", "is not a GitHub repository name"),
    ("https://github.com/a/b`touch INJECTED`", "is not a GitHub repository name"),
    ("https://github.com/a/it's(x", "\"it's(x\" is not a GitHub repository name"),
    ("https://github.com/a/b' && touch INJECTED '", "is not a GitHub repository name"),
    ("https://evil.example/a/b", "is not a GitHub repository address")])
def test_make_colab_refuses_an_address_that_is_not_github_and_no_shell_runs_it(tmp_path, address,
                                                                            message):
    root = colab_project(tmp_path, {})
    before = notebook_files(root)
    completed = make_colab(root, address)
    assert completed.returncode != 0
    assert message in completed.stderr, completed.stderr
    assert "https://github.com/OWNER/NAME" in completed.stderr
    assert "syntax error" not in completed.stderr and "Traceback" not in completed.stderr
    assert not list(tmp_path.rglob("INJECTED")) and not (REPO / "INJECTED").exists()
    assert notebook_files(root) == before


@pytest.mark.slow  # stamps four notebooks through make and a subprocess
@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_colab_passes_a_good_address_through(tmp_path):
    root = colab_project(tmp_path, {})
    completed = make_colab(root, "https://github.com/someone/movierec")
    assert completed.returncode == 0, completed.stderr
    assert all(b"github.com/someone/movierec" in text for text in notebook_files(root).values())


def test_badge_goes_under_the_title_and_setup_cell_before_the_parameters():
    original = nbformat.read(NOTEBOOK, as_version=4)
    notebook = stamped(original)
    title_lines = notebook.cells[0].source.split("\n")
    assert title_lines[0] == original.cells[0].source.split("\n")[0]
    assert title_lines[2] == (
        "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        "(https://colab.research.google.com/github/someone/movierec/blob/main/notebooks/"
        "01_two_tower.ipynb)")
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code[0].metadata["tags"] == [colab.SETUP_TAG]
    assert "https://github.com/someone/movierec.git" in code[0].source
    assert "parameters" in code[1].metadata["tags"]
    assert len(notebook.cells) == len(original.cells) + 1
    nbformat.validate(notebook)


def test_stamping_twice_or_with_a_new_address_replaces_instead_of_adding():
    original = nbformat.read(NOTEBOOK, as_version=4)
    once = stamped(original)
    assert stamped(once) == once
    moved = stamped(once, "elsewhere/movierec")
    assert len(moved.cells) == len(once.cells)
    assert moved.cells[0].source.count("Open In Colab") == 1
    assert "someone" not in moved.cells[0].source + moved.cells[1].source
    # every other cell, outputs included, is untouched
    assert moved.cells[2:] == once.cells[2:]


def test_a_notebook_without_a_title_cell_is_refused():
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    with pytest.raises(ValueError, match="first cell must be the markdown title"):
        colab.add_to_notebook(notebook, "someone/movierec", "main", "x.ipynb")


def test_a_notebook_without_a_code_cell_is_refused_by_name():
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title")])
    with pytest.raises(ValueError, match="x.ipynb: has no code cell"):
        colab.add_to_notebook(notebook, "someone/movierec", "main", "x.ipynb")


def colab_project(tmp_path, broken: dict[str, str]) -> Path:
    """Four small notebooks (title + code); ``broken`` replaces some files' text."""
    root = tmp_path / "project"
    (root / "notebooks").mkdir(parents=True)
    for number in range(4):
        cells = [nbformat.v4.new_markdown_cell(f"# {number:02d} · title"),
                 nbformat.v4.new_code_cell("x = 1")]
        nbformat.write(nbformat.v4.new_notebook(cells=cells),
                       root / "notebooks" / f"{number:02d}_notebook.ipynb")
    for name, text in broken.items():
        (root / "notebooks" / name).write_text(text)
    return root


def run_colab(root: Path, *arguments: str):
    environment = {**os.environ, "MOVIEREC_ROOT": str(root), "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "tools.colab", *arguments], cwd=root,
                          env=environment, capture_output=True, text=True, timeout=300)


def notebook_files(root: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in (root / "notebooks").iterdir()}


@pytest.mark.slow  # runs the command in a subprocess on four notebooks
@pytest.mark.parametrize("broken", [
    {"02_notebook.ipynb": '{"cells": ['},
    {"03_notebook.ipynb": nbformat.writes(nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("# 03 · only text")]))},
    {"01_notebook.ipynb": '{"cells": [', "03_notebook.ipynb": nbformat.writes(
        nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 03 · only text")]))}])
def test_make_colab_writes_no_notebook_unless_it_can_write_them_all(tmp_path, broken):
    root = colab_project(tmp_path, broken)
    before = notebook_files(root)
    completed = run_colab(root, "https://github.com/someone/movierec")
    assert completed.returncode != 0
    assert notebook_files(root) == before
    for name in broken:
        assert f"notebooks/{name}" in completed.stderr
    assert "No notebook was changed" in completed.stderr and "Traceback" not in completed.stderr


@pytest.mark.slow  # runs the command in a subprocess on four notebooks
def test_make_colab_stamps_every_notebook_and_a_second_run_changes_no_byte(tmp_path):
    root = colab_project(tmp_path, {})
    assert run_colab(root, "https://github.com/someone/movierec").returncode == 0
    once = notebook_files(root)
    assert all(b"Open In Colab" in text and colab.SETUP_TAG.encode() in text
               for text in once.values())
    assert run_colab(root, "https://github.com/someone/movierec").returncode == 0
    assert notebook_files(root) == once


def test_setup_cell_does_nothing_outside_colab(tmp_path):
    source = colab.setup_cell_source("https://github.com/someone/movierec.git", "main",
                                     checkout=str(tmp_path / "checkout"))
    cwd, path = os.getcwd(), list(sys.path)
    assert "google.colab" not in sys.modules
    exec(compile(source, "setup-cell", "exec"), {})
    assert (os.getcwd(), sys.path) == (cwd, path)
    assert not (tmp_path / "checkout").exists()


@pytest.mark.slow  # clones the checkout and runs pip
@pytest.mark.skipif(not (REPO / ".git").exists() or shutil.which("git") is None,
                    reason="needs this repository as a git checkout to clone from")
def test_setup_cell_in_simulated_colab_clones_installs_and_imports_the_checkout(tmp_path):
    """A fake ``google.colab`` module stands in for Colab; the clone comes from this checkout
    (committed state) instead of GitHub, and pip finds the packages already installed."""
    (tmp_path / "fake" / "google" / "colab").mkdir(parents=True)
    (tmp_path / "fake" / "google" / "colab" / "__init__.py").write_text("")
    # a named branch to clone, even if this checkout's HEAD is detached (as in some CI clones)
    source = tmp_path / "published"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(source)], check=True)
    subprocess.run(["git", "checkout", "--quiet", "-B", "published"], cwd=source, check=True)
    checkout = tmp_path / "content" / "movierec"
    cell = colab.setup_cell_source(source.as_uri(), "published", checkout=str(checkout))
    script = "import google.colab\n" + cell + textwrap.dedent("""
        import movierec_utils
        print(os.getcwd())
        print(movierec_utils.__file__)
    """)
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                               env={**os.environ, "PYTHONPATH": str(tmp_path / "fake")},
                               cwd=tmp_path, timeout=600)
    assert completed.returncode == 0, completed.stderr
    cwd, package = completed.stdout.split("\n")[-3:-1]
    assert Path(cwd) == checkout / "notebooks"
    assert Path(package).is_relative_to(checkout)
