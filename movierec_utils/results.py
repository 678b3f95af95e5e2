"""Results as JSON files in ``results/``: metrics, parameters, seconds, and where they came from.

The one reader and writer of results files. Every file :func:`save_results` writes carries its
provenance (:func:`provenance`: the day, the machine, the commit and the library versions), so
prose never has to. A file that cannot be read is an error naming the file
(:class:`ResultsFileError`), never a bare ``JSONDecodeError``.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import numpy as np

from movierec_utils.paths import output_dir, project_root, write_all

_PACKAGES = ("tensorflow", "tf-keras", "tensorflow-recommenders", "tensorflow-datasets",
             "numpy", "pandas", "scipy")


class ResultsFileError(ValueError):
    """A results file that exists but cannot be read as a results record."""


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in _PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def cpu_count() -> int:
    """The CPUs this process may run on (its affinity mask where the OS has one), the number a
    benchmark or a worker pool should size itself by."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def commit() -> str:
    """The checkout's commit (``+dirty`` when it has uncommitted changes), or ``"unknown"``
    outside a git checkout."""
    root = project_root()
    try:
        head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root,
                              capture_output=True, text=True, timeout=10)
        if head.returncode != 0:
            return "unknown"
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=root, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def provenance() -> dict:
    """Where and when a measurement was made: ``written`` (UTC), ``machine``, ``commit`` and
    ``versions``."""
    return {
        "written": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"processor": platform.processor() or platform.machine(),
                    "architecture": platform.machine(), "cpus": cpu_count()},
        "commit": commit(),
        "versions": library_versions(),
    }


def code_digest(module) -> str:
    """SHA-256 of a module's source file: which code a results file was measured with."""
    return hashlib.sha256(Path(module.__file__).read_bytes()).hexdigest()


def save_results(name: str, metrics: dict, parameters: dict | None = None,
                 seconds: dict | float | None = None, **extra) -> dict:
    """Write ``results/<name>.json`` (in the output folder, see ``paths.output_root``) with its
    provenance, and return what was written."""
    record = {
        "name": name,
        "metrics": metrics,
        "parameters": parameters or {},
        "seconds": seconds,
        **extra,
        **provenance(),
    }
    path = output_dir("results") / f"{name}.json"
    write_all({path: json.dumps(record, indent=2, default=json_default) + "\n"})
    return record


def read_results_file(path: str | os.PathLike) -> dict:
    """The JSON object in ``path``; a file that is not one raises :class:`ResultsFileError`
    naming it and how to get a good copy back."""
    path = Path(path)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ResultsFileError(
            f"{path} is damaged ({error}); restore the committed copy (git checkout -- "
            f"results/{path.name}) or delete it and re-run the notebook or benchmark that writes "
            "it") from None
    if not isinstance(record, dict):
        raise ResultsFileError(f"{path} holds a JSON {type(record).__name__}, not a results "
                               "record (an object); restore it with git checkout or re-run what "
                               "writes it")
    return record


def load_results(name: str, published: bool = False) -> dict | None:
    """``results/<name>.json`` from the current output folder, else the committed one, else None;
    with ``published=True`` only the committed one (what ``make report`` published, never a
    student's scratch run). A damaged file raises :class:`ResultsFileError` naming it."""
    folders = [project_root() / "results"]
    if not published:
        folders.insert(0, output_dir("results"))
    for folder in dict.fromkeys(folders):
        path = folder / f"{name}.json"
        if path.is_file():
            return read_results_file(path)
    return None


def json_default(value):
    """``json.dumps``'s ``default=``: NumPy scalars and arrays as Python numbers and lists."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
