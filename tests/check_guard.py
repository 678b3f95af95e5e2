"""Shows that the notebook tests guard the reported numbers: in a scratch copy of the repository,
change one model setting, run nbval on that notebook, and expect it to FAIL with a readable diff.

    make check-guard                     # two-tower embedding size 64 → 32 in notebook 01
    python tests/check_guard.py NOTEBOOK OLD NEW

Exit 0 when pytest failed on the notebook's cells (the guard works), 1 when it passed.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ("01_two_tower.ipynb", "EMBEDDING_DIM = 64", "EMBEDDING_DIM = 32")


def scratch_copy(destination: Path) -> None:
    """The committed files (as in the working tree), nothing else."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True,
                           text=True).stdout.split("\0")
    for name in filter(None, files):
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes((ROOT / name).read_bytes())


def change(notebook: Path, old: str, new: str) -> None:
    content = json.loads(notebook.read_text())
    changed = 0
    for cell in content["cells"]:
        source = "".join(cell["source"])
        if old in source:
            cell["source"] = source.replace(old, new)
            changed += 1
    if not changed:
        raise SystemExit(f"{old!r} occurs in no cell of {notebook.name}: nothing to change")
    notebook.write_text(json.dumps(content, indent=1, ensure_ascii=False) + "\n")


def main(argv: list[str]) -> int:
    name, old, new = argv if len(argv) == 3 else DEFAULT
    with tempfile.TemporaryDirectory(prefix="movierec-guard-") as folder:
        copy = Path(folder)
        scratch_copy(copy)
        change(copy / "notebooks" / name, old, new)
        print(f"Scratch copy {copy}: {name}: {old!r} → {new!r}; running nbval on it …", flush=True)
        env = {**os.environ, "PYTHONPATH": str(copy), "MOVIEREC_ROOT": str(copy)}
        result = subprocess.run([sys.executable, "-m", "pytest", f"notebooks/{name}", "-q",
                                 "-p", "no:randomly"], cwd=copy, env=env, capture_output=True,
                                text=True)
    report = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout)
    failures = [line for line in report.splitlines() if line.startswith("FAILED")]
    print("\n".join(failures[:10]) or report[-3000:])
    first_diff = report.find("<<<<<<<<<<<<")
    if first_diff >= 0:
        print(report[first_diff:first_diff + 1500])
    if result.returncode == 0:
        print("GUARD BROKEN: the changed notebook still passed.")
        return 1
    print(f"Guard works: {len(failures)} cell(s) of {name} no longer match their committed output.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
