"""Results as JSON files in ``results/``: metrics, parameters, seconds and library versions."""
from __future__ import annotations

import json
import platform
from datetime import datetime, timezone
from importlib import metadata

import numpy as np

from movierec_utils.paths import output_dir, write_all

_PACKAGES = ("tensorflow", "tf-keras", "tensorflow-recommenders", "tensorflow-datasets",
             "numpy", "pandas", "scipy")


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in _PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def save_results(name: str, metrics: dict, parameters: dict | None = None,
                 seconds: dict | float | None = None, **extra) -> dict:
    """Write ``results/<name>.json`` and return what was written."""
    record = {
        "name": name,
        "metrics": metrics,
        "parameters": parameters or {},
        "seconds": seconds,
        **extra,
        "versions": library_versions(),
        "machine": {"processor": platform.machine(), "cpus": _cpu_count()},
        "written": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    path = output_dir("results") / f"{name}.json"
    write_all({path: json.dumps(record, indent=2, default=_to_json) + "\n"})
    return record


def load_results(name: str) -> dict | None:
    """``results/<name>.json`` from the current output folder, else the committed one, else None."""
    from movierec_utils.paths import project_root

    for folder in (output_dir("results"), project_root() / "results"):
        path = folder / f"{name}.json"
        if path.is_file():
            return json.loads(path.read_text())
    return None


def _to_json(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _cpu_count() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
