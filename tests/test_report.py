"""`python -m tools.report` (make report): the choice of notebooks, two run at a time
each after the notebooks it reads, all-or-nothing runs in a staging folder, all-or-nothing publishing,
README's generated blocks rewritten in the README as it is at the end, interrupts reported as
interrupts, and bad notebooks named before anything happens.

Commands run as subprocesses on tiny projects (``MOVIEREC_ROOT``) whose notebooks take a second
or two (marked slow: they start kernels); refusals and publishing failures run in-process."""
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from movierec_utils import summary
from tools import readme as readme_blocks
from tools import report

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
SUMMARY = ("import json\n"
           "from movierec_utils import summary\n"
           "from movierec_utils.paths import output_dir\n"
           "record = {'split_seeds': [1], 'models': {name: {\n"
           "    m: {'mean': mean, 'std': 0.01} for m in summary.TABLE_METRICS}\n"
           "    for name, mean in (('ease', 0.5), ('two_tower', 0.6))}}\n"
           "(output_dir('results') / 'summary.json').write_text(json.dumps(record))")
README = (f"# tiny project\n\nprose before\n\n<!-- headline:start (generated) -->\nold headline\n"
          f"<!-- headline:end -->\n\n{summary.README_START}\nold table\n{summary.README_END}\n\n"
          "prose after\n")


def write_notebook(path: Path, title: str, *sources: str) -> None:
    cells = [nbformat.v4.new_markdown_cell(f"# {title}")]
    cells += [nbformat.v4.new_code_cell(source) for source in sources]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)


@pytest.fixture
def project(tmp_path):
    """A project of three tiny notebooks: 00 writes a result and a figure, 01 reads that result,
    02 writes results/summary.json; plus committed results, figure and README."""
    root = tmp_path / "project"
    for folder in ("notebooks", "results", "figures"):
        (root / folder).mkdir(parents=True)
    write_notebook(root / "notebooks" / "00_first.ipynb", "00 · first", FIRST)
    write_notebook(root / "notebooks" / "01_second.ipynb", "01 · second", SECOND)
    write_notebook(root / "notebooks" / "02_summary.ipynb", "02 · summary", SUMMARY)
    (root / "results" / "first.json").write_text('{"metrics": {"value": 1}}\n')
    (root / "figures" / "00_first.png").write_bytes(b"committed figure")
    (root / "README.md").write_text(README)
    return root


def environment(root: Path) -> dict[str, str]:
    """The project at ``root`` as MOVIEREC_ROOT (outputs not redirected), with this checkout on
    the path of the command and of the kernels it starts."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("MOVIEREC_OUTPUT_ROOT", "MOVIEREC_ROOT")}
    env.update(MOVIEREC_ROOT=str(root),
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
    return env


def run(root: Path, *arguments: str):
    """``python -m tools.report --no-book …`` on the project at ``root``."""
    return subprocess.run([sys.executable, "-m", "tools.report", "--no-book", *arguments],
                          cwd=root, env=environment(root), capture_output=True, text=True,
                          timeout=600)


def committed(root: Path) -> dict[str, bytes]:
    """Every file a run may change: notebooks, figures, results and README.md."""
    files = [root / "README.md"] + [path for folder in ("notebooks", "figures", "results")
                                    for path in (root / folder).rglob("*") if path.is_file()]
    return {str(path.relative_to(root)): path.read_bytes() for path in files}


# --- choosing notebooks, and bad notebooks (refused before anything runs: in-process) ---------

def refused(project: Path, monkeypatch, capsys, *arguments: str) -> str:
    """``tools.report`` on ``project``, which must stop before running anything; its stderr."""
    monkeypatch.setenv("MOVIEREC_ROOT", str(project))
    monkeypatch.delenv("MOVIEREC_OUTPUT_ROOT", raising=False)
    assert report.main(["--no-book", *arguments]) == 2
    return capsys.readouterr().err


@pytest.mark.parametrize("names", [["zzz"], ["00", "zzz"]])
def test_a_name_matching_no_notebook_is_an_error_listing_the_notebooks(project, monkeypatch,
                                                                       capsys, names):
    before = committed(project)
    stderr = refused(project, monkeypatch, capsys, *names)
    assert "no notebook matches 'zzz'" in stderr and "Nothing was run or changed" in stderr
    for name in ("00_first.ipynb", "01_second.ipynb", "02_summary.ipynb"):
        assert name in stderr
    assert committed(project) == before  # nothing ran, not even notebook 00


@pytest.mark.parametrize("content", ['{"cells": [', '{"cells": 3}'])
def test_an_unreadable_notebook_is_named_before_anything_is_run(project, monkeypatch, capsys,
                                                                content):
    (project / "notebooks" / "01_second.ipynb").write_text(content)
    before = committed(project)
    stderr = refused(project, monkeypatch, capsys)
    assert "notebooks/01_second.ipynb" in stderr
    assert "git checkout -- notebooks/01_second.ipynb" in stderr
    assert committed(project) == before  # notebook 00 did not run


def test_a_readme_without_the_generated_blocks_markers_is_refused_before_anything_runs(
        project, monkeypatch, capsys):
    (project / "README.md").write_text("# tiny project\n\nno markers\n")
    before = committed(project)
    stderr = refused(project, monkeypatch, capsys)
    assert "has no markers for the generated block(s) headline, results" in stderr
    assert "<!-- headline:start --> … <!-- headline:end -->" in stderr
    assert committed(project) == before


def test_the_order_is_lessons_then_appendix_then_solutions(project, monkeypatch):
    write_notebook(project / "notebooks" / "appendix" / "A_studies.ipynb", "Appendix", "1")
    write_notebook(project / "notebooks" / "solutions" / "00_first_solutions.ipynb", "Sol", "1")
    monkeypatch.setenv("MOVIEREC_ROOT", str(project))
    assert [report.relative_name(path) for path in report.notebooks()] == [
        "00_first.ipynb", "01_second.ipynb", "02_summary.ipynb", "appendix/A_studies.ipynb",
        "solutions/00_first_solutions.ipynb"]
    assert [report.relative_name(path) for path in report.select(report.notebooks(), ["0"])][-1] \
        == "solutions/00_first_solutions.ipynb"  # a name matches paths below notebooks/ too


# --- a run: all or nothing ----------------------------------------------------------------------

@pytest.mark.slow
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
    later = nbformat.read(staged.with_name("02_summary.ipynb"), as_version=4)
    assert not later.cells[1].outputs  # the run stopped at the first failure


@pytest.mark.slow
def test_a_run_publishes_every_part_and_rewrites_only_the_readme_blocks_of_the_readme_at_the_end(
        project):
    write_notebook(project / "notebooks" / "appendix" / "A_studies.ipynb", "Appendix",
                   "from movierec_utils.results import load_results\n"
                   "print('summary there:', load_results('summary') is not None)")
    # a solutions notebook that edits README's prose while the run is going on
    write_notebook(project / "notebooks" / "solutions" / "00_first_solutions.ipynb", "Solutions",
                   f"from pathlib import Path\nreadme = Path({str(project / 'README.md')!r})\n"
                   "readme.write_text(readme.read_text().replace('prose after', "
                   "'prose edited during the run'))")
    completed = run(project)
    assert completed.returncode == 0, completed.stderr
    order = [line.split("] ")[1].split(" ")[0] for line in completed.stdout.splitlines()
             if line.startswith("[")]
    # two at a time, each started after what it reads: the lessons in order (none declares its
    # reads), the solutions after their lesson, the appendix after every lesson
    assert sorted(order) == ["00_first.ipynb", "01_second.ipynb", "02_summary.ipynb",
                             "appendix/A_studies.ipynb", "solutions/00_first_solutions.ipynb"]
    position = {name: order.index(name) for name in order}
    assert position["00_first.ipynb"] < position["01_second.ipynb"] \
        < position["02_summary.ipynb"] < position["appendix/A_studies.ipynb"]
    assert position["00_first.ipynb"] < position["solutions/00_first_solutions.ipynb"]
    # 01 read the result 00 wrote in this run (2), not the committed one (1)
    second = json.loads((project / "results" / "second.json").read_text())
    assert second["metrics"] == {"from_first": 2}
    assert {"written", "machine", "commit", "versions"} <= set(second)  # provenance
    assert (project / "figures" / "00_first.png").read_bytes().startswith(b"\x89PNG")
    appendix = nbformat.read(project / "notebooks" / "appendix" / "A_studies.ipynb", as_version=4)
    assert appendix.cells[1].outputs[0]["text"] == "summary there: True\n"
    text = (project / "README.md").read_text()
    assert "prose edited during the run" in text and "prose before" in text  # the edit is kept
    assert "old table" not in text and "old headline" not in text
    record = json.loads((project / "results" / "summary.json").read_text())
    assert readme_blocks.block(text, "results") == summary.readme_table(record)
    assert readme_blocks.block(text, "headline") == readme_blocks.headline(record)
    assert not (project / "build" / "report-staging").exists()
    assert "Updated 5 notebooks" in completed.stdout


@pytest.mark.slow
def test_an_unwritable_target_is_named_before_anything_is_replaced(project):
    shutil.rmtree(project / "figures")
    (project / "figures").write_text("a file where the figures folder belongs")
    before = committed(project)
    completed = run(project)
    assert completed.returncode == 1, completed.stdout
    assert "FAILED to publish: cannot publish, these targets are not writable: figures/" \
        in completed.stderr
    assert "notebooks/, figures/, results/ and README.md are as before" in completed.stderr
    assert "Traceback" not in completed.stderr
    assert committed(project) == before
    assert (project / "figures").read_text() == "a file where the figures folder belongs"


def wait_for(path_or_stream, text: str, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if text in path_or_stream.read_text():
            return
        time.sleep(0.5)
    raise AssertionError(f"{text!r} never appeared in {path_or_stream}")


@pytest.mark.slow
@pytest.mark.parametrize("how, code", [("SIGINT", 130), ("SIGTERM", 143)])
def test_an_interrupt_is_reported_as_an_interrupt_and_changes_nothing(project, tmp_path, how,
                                                                      code):
    started = tmp_path / "started"
    write_notebook(project / "notebooks" / "01_second.ipynb", "01 · second",
                   f"from pathlib import Path\nPath({str(started)!r}).write_text('yes')",
                   "import time\ntime.sleep(120)", "assert False, 'never reached'")
    before = committed(project)
    output = tmp_path / "output.txt"
    with open(output, "w") as stream:
        # its own session, as a terminal's foreground job: Ctrl-C goes to the whole group
        process = subprocess.Popen([sys.executable, "-m", "tools.report", "--no-book"],
                                   cwd=project, env=environment(project), stdout=stream,
                                   stderr=stream, text=True, start_new_session=True)
        try:
            deadline = time.monotonic() + 300
            while not started.exists() and time.monotonic() < deadline:
                time.sleep(0.5)
            time.sleep(2)  # inside the sleeping cell
            if how == "SIGINT":
                os.killpg(process.pid, signal.SIGINT)
            else:
                process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=120) == code
        finally:
            if process.poll() is None:
                process.kill()
    printed = output.read_text()
    assert f"INTERRUPTED ({how}) while running notebooks/01_second.ipynb" in printed
    assert "Nothing was changed" in printed
    assert "FAILED" not in printed and "Traceback" not in printed
    assert "AssertionError" not in printed
    assert committed(project) == before


# --- publishing: all or nothing, driven in-process ----------------------------------------------

@pytest.fixture
def staged(project, monkeypatch):
    """A staging folder holding a new notebook, figure and results for ``project``."""
    monkeypatch.setenv("MOVIEREC_ROOT", str(project))
    monkeypatch.delenv("MOVIEREC_OUTPUT_ROOT", raising=False)
    staging = report.prepare_staging(report.notebooks())
    for notebook in (staging / "notebooks").glob("*.ipynb"):
        notebook.write_text(notebook.read_text().replace("first", "FIRST"))
    (staging / "figures" / "00_first.png").write_bytes(b"new figure")
    (staging / "results" / "first.json").write_text('{"metrics": {"value": 2}}\n')
    (staging / "results" / "new.json").write_text('{"metrics": {}}\n')
    return staging


def leftovers(root: Path) -> list[str]:
    return [path.name for path in root.rglob(".*.publish-*")]


@pytest.mark.parametrize("module, function, call, error, message", [
    # a rename refused part-way (read-only target): what was replaced is put back
    ("os", "replace", 5, OSError(errno.EACCES, "Permission denied"),
     r"publishing stopped at .* \(Permission denied\); everything replaced was put back"),
    # the disk full while writing the new files beside their targets: nothing is replaced
    ("shutil", "copyfile", 3, OSError(errno.ENOSPC, "No space left on device"),
     r"cannot write the new .* \(No space left on device\); nothing was replaced")])
def test_publishing_that_fails_part_way_leaves_every_target_as_it_was(project, staged, monkeypatch,
                                                                     module, function, call,
                                                                     error, message):
    before = committed(project)
    plan = report.publish_plan(staged, None)
    real, calls = getattr(getattr(report, module), function), []

    def fail_on_one_call(source, target):
        calls.append(target)
        if len(calls) == call:
            raise error
        return real(source, target)

    monkeypatch.setattr(getattr(report, module), function, fail_on_one_call)
    with pytest.raises(report.PublishError, match=message):
        report.publish(staged, plan)
    monkeypatch.undo()
    assert committed(project) == before
    assert not leftovers(project)
    assert staged.is_dir()  # kept for inspection


def test_publishing_replaces_every_planned_file_and_leaves_no_temporaries(project, staged):
    plan = report.publish_plan(staged, None)
    updated = report.publish(staged, plan)
    assert "results/new.json" in updated and "figures/00_first.png" in updated
    assert (project / "figures" / "00_first.png").read_bytes() == b"new figure"
    assert "FIRST" in (project / "notebooks" / "00_first.ipynb").read_text()
    assert not leftovers(project) and not staged.exists()


def test_an_interrupt_while_renaming_is_held_until_publishing_ends(project, staged):
    guard = report.SignalGuard()
    plan = report.publish_plan(staged, None)
    with guard, pytest.raises(report.Interrupted):
        with guard.deferred():
            os.kill(os.getpid(), signal.SIGTERM)  # arrives mid-publish: remembered, not raised
            report.publish(staged, plan)
        pytest.fail("the deferred interrupt was not raised")
    assert (project / "figures" / "00_first.png").read_bytes() == b"new figure"  # complete


def test_kernel_environment_points_root_and_outputs_at_the_staging_folder(tmp_path):
    env = report.kernel_environment(tmp_path)
    assert env["MOVIEREC_ROOT"] == env["MOVIEREC_OUTPUT_ROOT"] == str(tmp_path)


def test_the_readme_blocks_are_replaced_and_nothing_else(tmp_path):
    record = {"split_seeds": [1, 2], "models": {name: {
        m: {"mean": mean, "std": 0.01} for m in summary.TABLE_METRICS}
        for name, mean in (("ease", 0.5), ("two_tower", 0.6))}}
    readme = tmp_path / "README.md"
    readme.write_text(README)
    text = readme_blocks.updated_readme(readme, record)
    assert text.startswith("# tiny project\n\nprose before\n\n<!-- headline:start (generated) -->")
    assert text.endswith(f"{summary.README_END}\n\nprose after\n")
    assert "| EASE | 0.500 ± 0.010 |" in text
    assert "EASE scores 0.500 ± 0.010; the best neural model, Two-tower (01), scores " \
        "0.600 ± 0.010" in readme_blocks.block(text, "headline")
    assert readme_blocks.replace_blocks(text, readme_blocks.generated_blocks(record)) == text


def test_each_notebook_waits_only_for_the_notebooks_whose_results_it_reads(monkeypatch):
    """Two notebooks run at a time; the real notebooks' order constraints (a lesson's metadata
    ``movierec.reads_results_of``; solutions after their lesson; the appendix after all)."""
    monkeypatch.delenv("MOVIEREC_ROOT", raising=False)
    selected = report.notebooks()
    waits = {report.relative_name(path): [p.stem for p in report.prerequisites(path, selected)]
             for path in selected}
    lessons = ["00_data_and_evaluation", "01_two_tower", "02_gnn", "03_dnn", "04_comparison"]
    assert waits["00_data_and_evaluation.ipynb"] == waits["01_two_tower.ipynb"] == []
    assert waits["02_gnn.ipynb"] == lessons[:2]
    assert waits["03_dnn.ipynb"] == lessons[:3]
    assert waits["04_comparison.ipynb"] == []
    assert waits["solutions/03_dnn_solutions.ipynb"] == ["03_dnn"]
    assert waits["appendix/A_studies.ipynb"] == lessons


def test_a_lesson_without_declared_reads_waits_for_every_earlier_lesson(project, monkeypatch):
    monkeypatch.setenv("MOVIEREC_ROOT", str(project))
    selected = report.notebooks()
    assert report.prerequisites(selected[2], selected) == selected[:2]
