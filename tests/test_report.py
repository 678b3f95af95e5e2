"""`python -m movierec_utils.report`: the choice of notebooks, all-or-nothing runs in a staging
folder, and bad notebooks named before anything happens.

Commands run as subprocesses on tiny projects (``MOVIEREC_ROOT``) whose notebooks take a second
or two."""
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from movierec_utils import summary

REPO = Path(__file__).resolve().parents[1]

FIRST = ("import movierec_utils\n"
         "import matplotlib\n"
         "matplotlib.use('Agg')\n"
         "import matplotlib.pyplot as plt\n"
         "from movierec_utils import plotting\n"
         "from movierec_utils.results import save_results\n"
         "save_results('first', {'value': 2})\n"
         "plotting.save_figure(plt.figure(), '00_first')")
SECOND = ("from movierec_utils.results import load_results, save_results\n"
          "save_results('second', {'from_first': load_results('first')['metrics']['value']})")
README_UPDATE = ("from movierec_utils import summary\n"
                 "record = {'split_seeds': [1], 'models': {'ease': {\n"
                 "    m: {'mean': 0.5, 'std': 0.01} for m in summary.TABLE_METRICS}}}\n"
                 "print('README updated:', summary.update_readme(record))")


def write_notebook(path: Path, title: str, *sources: str) -> None:
    cells = [nbformat.v4.new_markdown_cell(f"# {title}")]
    cells += [nbformat.v4.new_code_cell(source) for source in sources]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)


@pytest.fixture
def project(tmp_path):
    """A project of three tiny notebooks: 00 writes a result and a figure, 01 reads that result,
    02 updates README's results table; plus committed results, figure and README."""
    root = tmp_path / "project"
    for folder in ("notebooks", "results", "figures"):
        (root / folder).mkdir(parents=True)
    write_notebook(root / "notebooks" / "00_first.ipynb", "00 · first", FIRST)
    write_notebook(root / "notebooks" / "01_second.ipynb", "01 · second", SECOND)
    write_notebook(root / "notebooks" / "02_readme.ipynb", "02 · readme", README_UPDATE)
    (root / "results" / "first.json").write_text('{"metrics": {"value": 1}}\n')
    (root / "figures" / "00_first.png").write_bytes(b"committed figure")
    (root / "README.md").write_text(f"# tiny project\n\n{summary.README_START}\nold table\n"
                                    f"{summary.README_END}\n")
    return root


def run(root: Path, *arguments: str, module: str = "movierec_utils.report"):
    """The command in a subprocess on the project at ``root`` (outputs not redirected), with
    this checkout's package on the path of the command and of the kernels it starts."""
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("MOVIEREC_OUTPUT_ROOT", "MOVIEREC_ROOT")}
    environment.update(MOVIEREC_ROOT=str(root),
                       PYTHONPATH=os.pathsep.join(filter(None, [str(REPO),
                                                                os.environ.get("PYTHONPATH")])))
    return subprocess.run([sys.executable, "-m", module, *arguments], cwd=root, env=environment,
                          capture_output=True, text=True, timeout=600)


def committed(root: Path) -> dict[str, bytes]:
    """Every file a run may change: notebooks, figures, results and README.md."""
    files = [root / "README.md"] + [path for folder in ("notebooks", "figures", "results")
                                    for path in (root / folder).rglob("*") if path.is_file()]
    return {str(path.relative_to(root)): path.read_bytes() for path in files}


# --- item 13: a name that matches no notebook ---------------------------------------------------

@pytest.mark.parametrize("names", [["zzz"], ["00", "zzz"]])
def test_a_name_matching_no_notebook_is_an_error_listing_the_notebooks(project, names):
    before = committed(project)
    completed = run(project, *names)
    assert completed.returncode != 0
    assert "no notebook matches 'zzz'" in completed.stderr
    for name in ("00_first.ipynb", "01_second.ipynb", "02_readme.ipynb"):
        assert name in completed.stderr
    assert committed(project) == before  # nothing ran, not even notebook 00
    assert not (project / "report").exists()


# --- item 14: a failing notebook changes nothing ------------------------------------------------

def test_a_failing_notebook_changes_nothing_and_names_the_cell_and_the_staged_copy(project):
    write_notebook(project / "notebooks" / "01_second.ipynb", "01 · second", SECOND, "1 / 0")
    before = committed(project)
    completed = run(project)
    assert completed.returncode == 1
    assert committed(project) == before  # notebook 00 ran, but nothing of it was published
    assert "01_second.ipynb failed in cell 3 of 3 (`1 / 0`): ZeroDivisionError" in completed.stderr
    assert "Nothing was changed" in completed.stderr
    staged = project / "build" / "report-staging" / "notebooks" / "01_second.ipynb"
    assert str(staged.relative_to(project)) in completed.stderr
    outputs = nbformat.read(staged, as_version=4).cells[2].outputs
    assert outputs[0]["ename"] == "ZeroDivisionError"  # the error can be read in the copy
    later = nbformat.read(staged.with_name("02_readme.ipynb"), as_version=4)
    assert not later.cells[1].outputs  # the run stopped at the first failure
    assert not (project / "report").exists()


def test_a_successful_run_publishes_what_the_notebooks_wrote_and_they_read_this_runs_results(
        project):
    completed = run(project)
    assert completed.returncode == 0, completed.stderr
    # 01 read the result 00 wrote in this run (2), not the committed one (1)
    second = json.loads((project / "results" / "second.json").read_text())
    assert second["metrics"] == {"from_first": 2}
    assert json.loads((project / "results" / "first.json").read_text())["metrics"] == {"value": 2}
    assert (project / "figures" / "00_first.png").read_bytes().startswith(b"\x89PNG")
    # the README table is updated, and the committed notebook says so truthfully
    assert "| EASE | 0.500 ± 0.010 |" in (project / "README.md").read_text()
    readme_notebook = nbformat.read(project / "notebooks" / "02_readme.ipynb", as_version=4)
    assert readme_notebook.cells[1].outputs[0]["text"] == "README updated: True\n"
    assert not (project / "build" / "report-staging").exists()
    assert (project / "report" / "index.html").is_file()


# --- item 15: a notebook that cannot be read ----------------------------------------------------

@pytest.mark.parametrize("content", ['{"cells": [', '{"cells": 3}'])
def test_an_unreadable_notebook_is_named_before_anything_is_built_or_run(project, content):
    (project / "notebooks" / "01_second.ipynb").write_text(content)
    before = committed(project)
    for arguments in (["--no-run"], []):
        completed = run(project, *arguments)
        assert completed.returncode != 0
        assert "notebooks/01_second.ipynb" in completed.stderr
        assert "git checkout -- notebooks/01_second.ipynb" in completed.stderr
        assert "Traceback" not in completed.stderr
        assert committed(project) == before  # notebook 00 did not run
        assert not (project / "report").exists()
