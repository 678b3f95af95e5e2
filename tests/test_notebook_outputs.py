"""What nbval compares: at least 80% of the notebooks' output-producing code cells, and every
cell left out says why (issue: 'nbval checks what the notebooks print, not only that they run').

    python tests/test_notebook_outputs.py     # prints the count and the list of left-out cells
"""
import json
import re
from pathlib import Path

# every notebook nbval executes: the lessons, notebooks/appendix/ and notebooks/solutions/
NOTEBOOKS = sorted(path for pattern in ("[0-9][0-9]_*.ipynb", "appendix/*.ipynb",
                                        "solutions/*.ipynb")
                   for path in (Path(__file__).resolve().parents[1] / "notebooks").glob(pattern))
LEFT_OUT = re.compile(r"^\s*#\s*(NBVAL_IGNORE_OUTPUT|NBVAL_SKIP)\s*$", re.M)
MINIMUM_COMPARED = 0.80


def output_cells():
    """``(notebook, cell number, source, marker or None)`` for every code cell with output."""
    for path in NOTEBOOKS:
        cells = json.loads(path.read_text())["cells"]
        for number, cell in enumerate(cells):
            source = "".join(cell["source"])
            if cell["cell_type"] == "code" and cell.get("outputs"):
                marker = LEFT_OUT.search(source)
                yield path.name, number, source, marker.group(1) if marker else None


def reason(source: str) -> str:
    """The comment line right after the marker: why this cell's output is not compared."""
    lines = source.splitlines()
    index = next(i for i, line in enumerate(lines) if LEFT_OUT.match(line))
    following = lines[index + 1].strip() if index + 1 < len(lines) else ""
    return following.lstrip("#").strip() if following.startswith("#") else ""


def test_most_output_cells_are_compared():
    cells = list(output_cells())
    compared = sum(marker is None for *_, marker in cells)
    assert cells and compared / len(cells) >= MINIMUM_COMPARED, (compared, len(cells))


def test_every_left_out_cell_says_why():
    unexplained = [f"{name} cell {number}" for name, number, source, marker in output_cells()
                   if marker and len(reason(source)) < 15]
    assert not unexplained, f"add a '# why…' comment after the marker: {unexplained}"


def test_no_notebook_runs_in_lax_mode():
    """Lax mode compares only marked cells; the settings must ask for every cell."""
    settings = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    assert "--nbval-lax" not in settings and "--nbval " in settings


def test_no_cell_carries_execution_timestamps():
    """A lesson is not a lab log: cells carry no record of when they ran (``make report``
    executes with nbclient's ``record_timing=False``)."""
    stamped = [f"{path.name} cell {number}" for path in NOTEBOOKS
               for number, cell in enumerate(json.loads(path.read_text())["cells"])
               if "execution" in cell.get("metadata", {})]
    assert not stamped, f"execution timestamps in {stamped[:5]}"


if __name__ == "__main__":
    cells = list(output_cells())
    left_out = [(name, number, marker, reason(source)) for name, number, source, marker in cells
                if marker]
    print(f"{len(cells) - len(left_out)} of {len(cells)} output cells compared "
          f"({1 - len(left_out) / len(cells):.0%}); left out:")
    for name, number, marker, why in left_out:
        print(f"  {name} cell {number}: {marker} — {why}")
