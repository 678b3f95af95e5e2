"""`python -m movierec_utils.report`: the choice of notebooks, all-or-nothing runs in a staging
folder, bad notebooks named before anything happens, and the HTML report a student hands in.

Commands run as subprocesses on tiny projects (``MOVIEREC_ROOT``) whose notebooks take a second
or two; the report itself is built from the committed notebooks without executing them."""
import copy
import json
import os
import re
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


# --- item 6 of issue 10: the report -------------------------------------------------------------

@pytest.fixture
def page():
    """The report page module (imported here, so the command tests above run without it)."""
    from movierec_utils import report_page

    return report_page


@pytest.fixture(scope="module")
def committed_report(tmp_path_factory):
    """``report --no-run`` on the committed notebooks and results, written to a temporary folder."""
    outputs = tmp_path_factory.mktemp("report-outputs")
    environment = {key: value for key, value in os.environ.items() if key != "MOVIEREC_ROOT"}
    environment.update(MOVIEREC_OUTPUT_ROOT=str(outputs), PYTHONPATH=str(REPO))
    completed = subprocess.run([sys.executable, "-m", "movierec_utils.report", "--no-run"],
                               cwd=REPO, env=environment, capture_output=True, text=True,
                               timeout=600)
    assert completed.returncode == 0, completed.stderr
    return outputs / "report"


def section(page: str, name: str) -> str:
    return re.search(rf'<section id="{name}">(.*?)</section>', page, re.S).group(1)


def test_the_report_opens_with_title_abstract_and_the_readme_results_table(committed_report):
    page = (committed_report / "index.html").read_text()
    results = summary.load_summary()
    assert "<h1>movierec — three movie recommenders" in page
    assert "split seeds 42, 1 and 2" in section(page, "abstract")
    table = section(page, "results")
    for name, stats in results["models"].items():
        assert f"<td>{summary.LABELS[name]}</td>" in table
        assert f"<td>{stats['ndcg@10']['mean']:.3f} ± {stats['ndcg@10']['std']:.3f}</td>" in table
    assert page.index('id="abstract"') < page.index('id="results"') < page.index(
        'id="findings"') < page.index('id="figures"') < page.index('id="notebooks"')


def test_the_findings_carry_numbers_from_the_results_files(page, committed_report):
    findings = section((committed_report / "index.html").read_text(), "findings")
    items = re.findall(r"<li>(.*?)</li>", findings, re.S)
    assert len(items) >= 5
    assert all(re.search(r"\d\.\d", item) for item in items)
    results = summary.load_summary()
    best = max(results["models"], key=lambda name: results["models"][name]["ndcg@10"]["mean"])
    assert page.mean_std(results["models"][best]["ndcg@10"]) in items[0]


def test_every_figure_appears_once_with_its_caption(page, committed_report):
    figures = section((committed_report / "index.html").read_text(), "figures")
    files = sorted((REPO / "figures").glob("*.png"))
    assert figures.count("<figure ") == len(files)
    for path in files:
        caption = page.html.escape(page.FIGURE_CAPTIONS[path.stem])
        assert f'<figure id="{path.stem}">' in figures and caption in figures


def test_each_notebook_has_a_reading_view_and_a_full_view_linked_from_the_index(committed_report):
    notebooks = section((committed_report / "index.html").read_text(), "notebooks")
    for path in sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        reading, full = f"{path.stem}-reading.html", f"{path.stem}.html"
        assert f'href="{reading}"' in notebooks and f'href="{full}"' in notebooks
        full_page = (committed_report / full).read_text()
        reading_page = (committed_report / reading).read_text()
        assert "hl-ipython3" in full_page and "hl-ipython3" not in reading_page  # code cells
        assert 'class="jp-InputPrompt' not in reading_page
        assert 'class="jp-OutputPrompt' not in reading_page


def test_the_index_needs_nothing_from_the_network(committed_report):
    page = (committed_report / "index.html").read_text()
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//|@import|url\(""", page)


# --- the findings follow the numbers ------------------------------------------------------------

def two_models(difference_interval, means=(0.48, 0.47), stds=(0.004, 0.003)):
    """A summary of EASE and the two-tower model with one paired test between them."""
    metric = {"mean": 0.1, "std": 0.01}
    models = {name: {**{m: dict(metric) for m in summary.TABLE_METRICS},
                     "ndcg@10": {"mean": mean, "std": std}}
              for name, mean, std in zip(("two_tower", "ease"), means, stds)}
    low, high = difference_interval
    return {"split_seeds": [42, 1], "k": 10, "ratio": 0.75, "models": models,
            "paired_tests_seed": 42,
            "paired_tests": [{"comparison": "Two-tower (01) − EASE",
                              "mean difference": (low + high) / 2, "95% CI low": low,
                              "95% CI high": high, "Wilcoxon p": 0.3,
                              "users better / worse": "400 / 380"}]}


def test_a_paired_interval_containing_zero_is_called_a_tie_not_a_win(page):
    finding = page.finding_accuracy(two_models((-0.004, 0.006)))
    assert "Two-tower (01) and EASE tie" in finding and "no single winner" in finding
    assert "ahead" not in finding
    assert "tie for the highest" in page.abstract(two_models((-0.004, 0.006)))


def test_a_paired_interval_excluding_zero_names_the_winner_with_its_numbers(page):
    results = two_models((0.003, 0.017))
    finding = page.finding_accuracy(results)
    assert "Two-tower (01) has the highest mean NDCG@10" in finding
    assert "0.480 ± 0.004" in finding and "ahead of every other model" in finding
    assert "+0.0100, 95% CI +0.0030 to +0.0170" in finding  # the test's own numbers
    assert "The most accurate is Two-tower (01)" in page.abstract(results)


def test_without_a_paired_test_overlapping_mean_and_std_is_a_tie(page):
    results = two_models((0.0, 0.0), means=(0.480, 0.474))
    results["paired_tests"] = []
    assert "tie" in page.finding_accuracy(results)  # 0.006 apart, stds add to 0.007
    results["models"]["ease"]["ndcg@10"]["mean"] = 0.46
    assert "ahead of every other model" in page.finding_accuracy(results)


def test_the_cold_start_verdict_follows_its_interval(page):
    dnn = {"metrics": {"cold_start": 0.52, "cold_start_popularity": 0.51, "cold_start_users": 9,
                       "cold_start_ndcg_difference_ci95": [-0.01, 0.03]}}
    assert "no better than popularity" in page.finding_cold_start(dnn)
    dnn["metrics"]["cold_start_ndcg_difference_ci95"] = [0.002, 0.018]
    assert ", better than popularity" in page.finding_cold_start(dnn)
    assert page.finding_cold_start({"metrics": {}}) is None


def test_training_time_below_a_second_is_not_rounded_to_zero(page):
    assert page.duration(0.0493) == "0.049 s"
    assert page.duration(5.099) == "5.1 s"


def test_every_committed_figure_has_a_caption(page):
    uncaptioned = [path.name for path in (REPO / "figures").glob("*.png")
                   if path.stem not in page.FIGURE_CAPTIONS]
    assert not uncaptioned, (f"add a caption for {uncaptioned} to FIGURE_CAPTIONS in "
                             "movierec_utils/page.py")


def test_a_figure_without_a_caption_gets_one_from_its_name_and_notebook(page):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 05 · Extras")])
    notebooks = {Path("notebooks/05_extras.ipynb"): notebook}
    assert (page.figure_caption("05_extras_rating_drift", notebooks)
            == "Extras rating drift (from 05 · Extras).")
    assert page.figure_caption("99_lonely", copy.deepcopy(notebooks)) == "Lonely."
