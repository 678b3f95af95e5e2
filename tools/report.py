"""``make report``: execute every notebook, publish all or nothing, rewrite README's generated
blocks, build the book.

    python -m tools.report             # every notebook: lessons, appendix, solutions; then the book
    python -m tools.report 01 04       # only the notebooks whose paths contain 01 or 04

A run is all or nothing. The selected notebooks — the lessons ``notebooks/NN_*``, then
``notebooks/appendix/``, then ``notebooks/solutions/`` — run two at a time, each once the
notebooks whose results it reads have run (``prerequisites``), as copies in a staging folder
(``build/report-staging/``), where they also write their figures and results. Only when every
one has run is anything published, and publishing is itself all or nothing: every target
(``notebooks/``, ``figures/``, ``results/``, ``README.md``) is checked writable first, each new
file is written beside its target and renamed into place, and a failure part-way puts back what
was replaced. README.md is read when publishing and only its generated blocks (headline,
results) are rewritten from ``results/summary.json``. Then the book is built (``tools.book``).

A failing notebook is named with its cell and changes nothing; Ctrl-C or SIGTERM is reported as
an interrupt and changes nothing; the staged copy is kept for inspection.
"""
from __future__ import annotations

import argparse
import contextlib
import filecmp
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from movierec_utils.paths import project_root
from tools import readme as readme_blocks
from tools.notebooks import (NotebookError, notebooks, read_notebooks,
                             relative_name, shown)

CELL_TIMEOUT_SECONDS = 1800
STAGED_FOLDERS = ("figures", "results")  # what notebooks write, through movierec_utils.paths
# Notebooks executed at once: two kernels share two cores better than one uses them (pytest's two
# workers ran the notebooks in 548 s against 817 s one at a time, pyproject.toml).
PARALLEL_NOTEBOOKS = 2


class NotebookFailed(Exception):
    """A notebook that raised (or timed out) while executing, and the cell where it did."""

    def __init__(self, path: Path, cell_index: int | None, cell_count: int, summary: str):
        self.path, self.cell_index, self.cell_count = path, cell_index, cell_count
        self.summary = summary
        super().__init__(f"{path.name}: {summary}")


class Interrupted(BaseException):
    """Ctrl-C (SIGINT) or SIGTERM during a run. A BaseException, as KeyboardInterrupt is, so
    that no library's ``except Exception`` turns it into a notebook failure."""

    def __init__(self, signal_name: str):
        self.signal_name = signal_name
        super().__init__(signal_name)


class PublishError(Exception):
    """Publishing could not complete; everything it replaced has been put back."""


def select(paths: list[Path], names: list[str]) -> list[Path]:
    """The notebooks whose paths below ``notebooks/`` contain any of ``names`` (all when none is
    given); a name matching no notebook is an error listing the notebooks there are."""
    unmatched = [name for name in names
                 if not any(name in relative_name(path) for path in paths)]
    if unmatched:
        listing = "\n  ".join(relative_name(path) for path in paths)
        raise NotebookError(f"no notebook matches {', '.join(map(repr, unmatched))}; give part "
                            f"of one of these names (e.g. 01):\n  {listing}")
    return [path for path in paths
            if not names or any(name in relative_name(path) for name in names)]


# --- signals -----------------------------------------------------------------------------------

class SignalGuard:
    """Turns SIGINT and SIGTERM into :class:`Interrupted`; while :meth:`deferred` is active (the
    few renames of publishing) a signal is remembered and raised when that block ends."""

    def __init__(self):
        self.pending: str | None = None
        self.deferring = False
        self.previous = {}

    def _handle(self, number, _frame):
        name = signal.Signals(number).name
        if self.deferring:
            self.pending = self.pending or name
            return
        raise Interrupted(name)

    def __enter__(self):
        for number in (signal.SIGINT, signal.SIGTERM):
            self.previous[number] = signal.signal(number, self._handle)
        return self

    def __exit__(self, *exc):
        for number, handler in self.previous.items():
            signal.signal(number, handler)
        return False

    @contextlib.contextmanager
    def deferred(self):
        self.deferring = True
        try:
            yield
        finally:
            self.deferring = False
        if self.pending:
            raise Interrupted(self.pending)


# --- execution in a staging folder -------------------------------------------------------------

def publish_root() -> Path:
    """Where a run publishes: the checkout, or ``MOVIEREC_OUTPUT_ROOT`` when the tests set it."""
    return Path(os.environ["MOVIEREC_OUTPUT_ROOT"]) if os.environ.get("MOVIEREC_OUTPUT_ROOT") \
        else project_root()


def staging_root() -> Path:
    return publish_root() / "build" / "report-staging"


def staged_path(staging: Path, path: Path) -> Path:
    return staging / "notebooks" / relative_name(path)


def prepare_staging(selected: list[Path]) -> Path:
    """A fresh staging project: copies of the selected notebooks (in their sub-folders) and of
    the results they may read (04 and the appendix read those of 01–03)."""
    staging = staging_root()
    shutil.rmtree(staging, ignore_errors=True)
    for folder in ("notebooks", *STAGED_FOLDERS):
        (staging / folder).mkdir(parents=True)
    for path in selected:
        target = staged_path(staging, path)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    # the committed results first, then those of a redirected output folder, as load_results reads
    for source in dict.fromkeys([project_root() / "results", publish_root() / "results"]):
        for result in source.glob("*.json"):
            shutil.copy2(result, staging / "results" / result.name)
    return staging


def kernel_environment(staging: Path) -> dict[str, str]:
    """The staging folder as the notebooks' project root and output root, so they read and
    write only there."""
    return {**os.environ, "MOVIEREC_ROOT": str(staging), "MOVIEREC_OUTPUT_ROOT": str(staging)}


class Run:
    """One staged notebook executing in a child process (its own session, so a Ctrl-C reaches
    only this process, which then stops the child and its kernel); the child saves the notebook
    with its outputs also when it fails. The kernel talks over IPC sockets in a folder of this
    run's own, not TCP ports: two kernels starting at once can be handed the same free port, and
    then one of them never answers."""

    def __init__(self, staged: Path, environment: dict[str, str]):
        import subprocess

        self.staged = staged
        self.record = staged.parent / f".{staged.stem}.run.json"
        self.log = staged.parent / f".{staged.stem}.run.log"
        self.record.unlink(missing_ok=True)
        self.sockets = Path(tempfile.mkdtemp(prefix="movierec-kernel-"))
        command = [sys.executable, "-m", "tools.report", "--execute-one", str(staged),
                   "--record", str(self.record), "--sockets", str(self.sockets)]
        with open(self.log, "w", encoding="utf-8") as output:
            self.child = subprocess.Popen(command, cwd=Path(__file__).resolve().parents[1],
                                          env=environment, stdout=output,
                                          stderr=subprocess.STDOUT, start_new_session=True)

    def finished(self) -> bool:
        return self.child.poll() is not None

    def stop(self) -> None:
        """Kill the child and the kernel it started (its PID is in the sockets folder). SIGTERM
        would not do: nbclient ignores it while it executes, and the kernel has its own session."""
        kernel_pid = self.sockets / "kernel.pid"
        if kernel_pid.is_file():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(kernel_pid.read_text()), signal.SIGKILL)
        if self.child.poll() is None:
            self.child.kill()
        self.child.wait()
        self.remove_sockets()

    def remove_sockets(self) -> None:
        shutil.rmtree(self.sockets, ignore_errors=True)

    def outcome(self) -> float:
        """The seconds the finished notebook took; a failure raises :class:`NotebookFailed`."""
        import json

        self.remove_sockets()
        if self.record.is_file():
            outcome = json.loads(self.record.read_text(encoding="utf-8"))
            self.record.unlink()
            if "seconds" in outcome:
                self.log.unlink(missing_ok=True)
                return outcome["seconds"]
            raise NotebookFailed(self.staged, outcome["cell_index"], outcome["cell_count"],
                                 outcome["error"])
        tail = self.log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:] \
            or [""]
        raise NotebookFailed(self.staged, None, 0, f"the runner stopped with exit status "
                             f"{self.child.returncode} ({tail[0][:200]}); its log: "
                             f"{shown(self.log)}")


def execute_one(staged: Path, record: Path, sockets: Path) -> int:
    """The child's side of :class:`Run`: run the notebook in its folder with nbclient, save
    it with its outputs, and write the outcome (seconds, or the failed cell and error)."""
    import json

    import nbformat
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    notebook = nbformat.read(staged, as_version=4)
    current = {"cell": None}

    kernel = KernelManager(kernel_name="python3", transport="ipc", ip=f"{sockets}/kernel")

    def remember_cell(cell, cell_index):
        if current["cell"] is None:  # the kernel runs: say which process to stop (Run.stop)
            (sockets / "kernel.pid").write_text(str(kernel.provisioner.pid))
        current["cell"] = cell_index

    client = NotebookClient(notebook, km=kernel, timeout=CELL_TIMEOUT_SECONDS,
                            kernel_name="python3",
                            record_timing=False,  # no execution timestamps in cell metadata
                            resources={"metadata": {"path": str(staged.parent)}},
                            on_cell_start=remember_cell)
    started = time.perf_counter()
    try:
        client.execute()
        outcome = {"seconds": time.perf_counter() - started}
    except Exception as error:
        outcome = {"cell_index": current["cell"], "cell_count": len(notebook.cells),
                   "error": error_summary(error)}
    finally:
        nbformat.write(notebook, staged)
    record.write_text(json.dumps(outcome), encoding="utf-8")
    return 0 if "seconds" in outcome else 1


def error_summary(error: Exception) -> str:
    """``ename: evalue`` of a failed cell, else the last line of the error."""
    if getattr(error, "ename", None):
        return f"{error.ename}: {error.evalue}"
    lines = [line for line in str(error).splitlines() if line.strip()]
    return f"{type(error).__name__}: {lines[-1] if lines else ''}"


def failure_message(failure: NotebookFailed, staging: Path) -> str:
    notebook = failure.path
    name = notebook.relative_to(staging / "notebooks").as_posix()
    if failure.cell_index is None:
        where = f"{name} failed before its first cell (kernel start)"
    else:
        import nbformat

        source = nbformat.read(notebook, as_version=4).cells[failure.cell_index].source
        first_line = source.strip().splitlines()[0] if source.strip() else ""
        where = (f"{name} failed in cell {failure.cell_index + 1} of "
                 f"{failure.cell_count} (`{first_line[:70]}`)")
    return (f"FAILED: {where}: {failure.summary}\n"
            "Nothing was changed: notebooks/, figures/, results/ and README.md are as before "
            "this run.\n"
            f"The staged run is kept for inspection in {shown(staging)}/ — the failed notebook, "
            f"with its outputs up to the error: {shown(notebook)}")


def interrupt_message(interrupt: Interrupted, running: str | None, staging: Path) -> str:
    where = f" while running {running}" if running else ""
    return (f"INTERRUPTED ({interrupt.signal_name}){where}.\n"
            "Nothing was changed: notebooks/, figures/, results/ and README.md are as before "
            f"this run. The staged copies are in {shown(staging)}/.")


def prerequisites(path: Path, selected: list[Path]) -> list[Path]:
    """The selected notebooks ``path`` must wait for, because it reads results they write: for
    a lesson, the lessons named in its metadata ``movierec.reads_results_of`` (notebook names
    without ``.ipynb``), or every earlier lesson when it has no such entry; for a solutions
    notebook, its lesson (same number); for the appendix, every lesson."""
    import nbformat

    name = relative_name(path)
    lessons = [other for other in selected if "/" not in relative_name(other)]
    if name.startswith("solutions/"):
        return [other for other in lessons if relative_name(other)[:2] == path.name[:2]]
    if "/" in name:
        return lessons
    declared = nbformat.read(path, as_version=4).metadata.get("movierec", {})
    if "reads_results_of" in declared:
        return [other for other in lessons if other.stem in declared["reads_results_of"]]
    return lessons[:lessons.index(path)]


def run_staged(selected: list[Path], progress: dict, workers: int = PARALLEL_NOTEBOOKS
               ) -> dict[str, float]:
    """Execute the selected notebooks in a fresh staging folder, ``workers`` at a time, each
    once its :func:`prerequisites` have run (the first ready in the order given); seconds per
    notebook. At the first failure the others are stopped and :class:`NotebookFailed` is raised,
    before anything is published; ``progress["running"]`` names the notebooks running."""
    staging = prepare_staging(selected)
    environment = kernel_environment(staging)
    timings, running, waiting = {}, {}, list(selected)
    waits_for = {path: prerequisites(path, selected) for path in selected}  # reads metadata once
    try:
        while waiting or running:
            for path in [path for path in waiting
                         if all(relative_name(before) in timings for before in waits_for[path])]:
                if len(running) >= workers:
                    break
                waiting.remove(path)
                running[path] = Run(staged_path(staging, path), environment)
                print(f"[{len(timings) + len(running)}/{len(selected)}] {relative_name(path)} …",
                      flush=True)
            progress["running"] = ", ".join(f"notebooks/{relative_name(path)}" for path in running)
            time.sleep(0.2)
            for path, run in list(running.items()):
                if run.finished():
                    del running[path]
                    timings[relative_name(path)] = run.outcome()
                    print(f"      {relative_name(path)} done in "
                          f"{timings[relative_name(path)]:.0f} s", flush=True)
    finally:
        for run in running.values():
            run.stop()
    progress["running"] = None
    return timings


# --- publishing, all or nothing ----------------------------------------------------------------

def publish_plan(staging: Path, summary_record: dict | None) -> dict[Path, Path | str]:
    """``{target: staged file or new text}``: every staged notebook; every staged figure and
    result that differs from the one in place; README.md with its blocks rewritten."""
    root = publish_root()
    plan: dict[Path, Path | str] = {}
    for notebook in sorted((staging / "notebooks").rglob("*.ipynb")):
        plan[root / "notebooks" / notebook.relative_to(staging / "notebooks")] = notebook
    for folder in STAGED_FOLDERS:
        for staged in sorted((staging / folder).iterdir()):
            target = root / folder / staged.name
            if staged.is_file() and not (target.is_file() and filecmp.cmp(staged, target, False)):
                plan[target] = staged
    readme = readme_path()
    if summary_record is not None and readme.is_file():
        text = readme_blocks.updated_readme(readme, summary_record)
        if text != readme.read_text(encoding="utf-8"):
            plan[root / "README.md"] = text
    return plan


def readme_path() -> Path:
    """The README a run updates: the published one when outputs are redirected and one exists
    there, else the checkout's."""
    redirected = publish_root() / "README.md"
    return redirected if redirected.is_file() else project_root() / "README.md"


def check_writable(targets) -> None:
    """Every folder a target goes into exists or can be made, and accepts a new file; else a
    :class:`PublishError` naming each that does not, before anything is replaced."""
    problems = []
    for folder in sorted({target.parent for target in targets}):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            handle, probe = tempfile.mkstemp(prefix=".publish-check-", dir=folder)
            os.close(handle)
            os.unlink(probe)
        except OSError as error:
            problems.append(f"{shown(folder)}/ ({error.strerror or error})")
    for target in targets:
        if target.is_dir():
            problems.append(f"{shown(target)} is a folder where a file belongs")
    if problems:
        raise PublishError("cannot publish, these targets are not writable: "
                           + "; ".join(problems))


def publish(staging: Path, plan: dict[Path, Path | str], guard: SignalGuard | None = None
            ) -> list[str]:
    """Put every planned file in place, or none: write each beside its target first; then rename
    the old file aside and the new one in, and on any failure rename back what was replaced.
    Returns the targets updated (relative to the publish root); the staging folder is removed
    on success."""
    check_writable(plan)
    temporaries: dict[Path, Path] = {}
    try:
        for target, source in plan.items():
            temporary = target.with_name(f".{target.name}.{os.getpid()}.publish-new")
            temporaries[target] = temporary
            if isinstance(source, str):
                temporary.write_text(source, encoding="utf-8")
            else:
                shutil.copyfile(source, temporary)
    except OSError as error:
        for temporary in temporaries.values():
            temporary.unlink(missing_ok=True)
        raise PublishError(f"cannot write the new {shown(target)} ({error.strerror or error}); "
                           "nothing was replaced") from None
    replaced: list[tuple[Path, Path | None]] = []
    with (guard.deferred() if guard else contextlib.nullcontext()):
        try:
            for target, temporary in temporaries.items():
                backup = None
                if target.exists():
                    backup = target.with_name(f".{target.name}.{os.getpid()}.publish-old")
                    os.replace(target, backup)
                replaced.append((target, backup))
                os.replace(temporary, target)
        except BaseException as error:
            for target, backup in reversed(replaced):
                if backup is not None:
                    os.replace(backup, target)
                else:
                    target.unlink(missing_ok=True)
            for temporary in temporaries.values():
                temporary.unlink(missing_ok=True)
            if isinstance(error, OSError):
                reason = error.strerror or str(error)
                raise PublishError(f"publishing stopped at {shown(target)} ({reason}); "
                                   "everything replaced was put back") from None
            raise
        for _, backup in replaced:
            if backup is not None:
                backup.unlink(missing_ok=True)
    shutil.rmtree(staging, ignore_errors=True)
    return [target.relative_to(publish_root()).as_posix() for target in plan]


def staged_summary(staging: Path) -> dict | None:
    """``results/summary.json`` as this run leaves it (staged, else the one in place)."""
    from movierec_utils.results import read_results_file

    for path in (staging / "results" / "summary.json", publish_root() / "results" / "summary.json",
                 project_root() / "results" / "summary.json"):
        if path.is_file():
            return read_results_file(path)
    return None


def updated_summary(updated: list[str]) -> str:
    """``5 notebooks, 14 figures, 2 results, README.md`` from the paths :func:`publish` moved."""
    folders = {}
    for path in updated:
        folder = Path(path).parts[0]
        folders[folder] = folders.get(folder, 0) + 1
    return ", ".join(name if name == "README.md" else f"{count} {name}"
                     for name, count in folders.items()) or "nothing (outputs unchanged)"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("only", nargs="*",
                        help="run only the notebooks whose paths contain these (e.g. 01 04)")
    parser.add_argument("--no-book", action="store_true", help="do not build the book after")
    parser.add_argument("--execute-one", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--record", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--sockets", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.execute_one:
        return execute_one(args.execute_one, args.record, args.sockets)
    started = time.perf_counter()
    try:
        read_notebooks(notebooks())  # every notebook, also those not selected: the book reads all
        selected = select(notebooks(), args.only)
        readme_blocks.check_markers(readme_path())
    except (NotebookError, readme_blocks.ReadmeError) as error:
        print(f"error: {error}\nNothing was run or changed.", file=sys.stderr)
        return 2
    progress = {"running": None}
    staging = staging_root()
    with SignalGuard() as guard:
        try:
            run_staged(selected, progress)
            plan = publish_plan(staging, staged_summary(staging))
            updated = publish(staging, plan, guard)
        except Interrupted as interrupt:
            print(interrupt_message(interrupt, progress["running"], staging), file=sys.stderr,
                  flush=True)
            return 130 if interrupt.signal_name == "SIGINT" else 143
        except NotebookFailed as failure:
            print(failure_message(failure, staging), file=sys.stderr, flush=True)
            return 1
        except (PublishError, readme_blocks.ReadmeError, ValueError) as error:
            print(f"FAILED to publish: {error}\nnotebooks/, figures/, results/ and README.md are "
                  f"as before this run; the executed notebooks are in {shown(staging)}/.",
                  file=sys.stderr, flush=True)
            return 1
    print(f"Updated {updated_summary(updated)}.", flush=True)
    if not args.no_book:
        from tools import book

        try:
            index = book.build()
        except book.BookError as error:
            print(f"The outputs are published, but the book failed: {error}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("INTERRUPTED while building the book; the outputs are published. Build the "
                  "book alone with `make book`.", file=sys.stderr)
            return 130
        print(f"Book: {shown(index)}", flush=True)
    print(f"Total {time.perf_counter() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
