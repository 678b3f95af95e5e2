"""Where the project's outputs go: ``figures/``, ``results/`` and ``report/`` at the repo root."""
from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """``MOVIEREC_ROOT`` if set; else the checkout holding this package; else the working folder.

    Notebooks run from ``notebooks/``, so a working folder named ``notebooks`` means its parent.
    """
    if os.environ.get("MOVIEREC_ROOT"):
        return Path(os.environ["MOVIEREC_ROOT"])
    checkout = Path(__file__).resolve().parents[1]
    if (checkout / "notebooks").is_dir():
        return checkout
    cwd = Path.cwd()
    return cwd.parent if cwd.name == "notebooks" else cwd


def output_dir(name: str) -> Path:
    """``<root>/<name>``, created if needed; ``MOVIEREC_OUTPUT_ROOT`` redirects all outputs
    (the test suite points it at a temporary folder so tests never rewrite committed files)."""
    root = Path(os.environ["MOVIEREC_OUTPUT_ROOT"]) if os.environ.get("MOVIEREC_OUTPUT_ROOT") \
        else project_root()
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder
