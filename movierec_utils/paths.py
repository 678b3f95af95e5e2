"""Where the project is and where notebooks write: ``build/scratch/`` (or ``MOVIEREC_OUTPUT_ROOT``);
only ``make report`` publishes into the committed ``figures/`` and ``results/``."""
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


SCRATCH = Path("build") / "scratch"


def output_root() -> Path:
    """Where notebooks write figures and results: ``MOVIEREC_OUTPUT_ROOT`` when set (``make
    report`` points it at its staging folder, the tests at a temporary one), else the scratch
    folder ``build/scratch/`` of the checkout, so a student's re-run never overwrites the
    committed ``figures/`` and ``results/``; only ``make report`` publishes into those."""
    if os.environ.get("MOVIEREC_OUTPUT_ROOT"):
        return Path(os.environ["MOVIEREC_OUTPUT_ROOT"])
    return project_root() / SCRATCH


def output_dir(name: str) -> Path:
    """``<output root>/<name>``, created if needed (see :func:`output_root`)."""
    root = output_root()
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_all(texts: dict[Path, str]) -> None:
    """Write every file or none: each goes to a temporary file beside it first, and only when
    all are written are they renamed into place (a rename cannot fail half-way), so a reader
    meanwhile — another notebook under the two test workers — finds old files or new ones,
    never half of one."""
    temporaries = {path: path.with_name(f".{path.name}.{os.getpid()}.tmp") for path in texts}
    try:
        for path, text in texts.items():
            temporaries[path].write_text(text, encoding="utf-8")
    except OSError:
        for temporary in temporaries.values():
            temporary.unlink(missing_ok=True)
        raise
    for path, temporary in temporaries.items():
        os.replace(temporary, path)
