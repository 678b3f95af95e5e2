"""Every sentence true to its outputs, checkable part: a number with three or more decimals typed
in a notebook's markdown must be one that notebook computed — it has to appear, at the same
precision, among the notebook's cell outputs or code. A discussion that quotes a number from an
earlier run fails here once a re-run moves it."""
import json
import re
from pathlib import Path

import pytest

# every notebook nbval executes: the lessons, notebooks/appendix/ and notebooks/solutions/
NOTEBOOKS = sorted(path for pattern in ("[0-9][0-9]_*.ipynb", "appendix/*.ipynb",
                                        "solutions/*.ipynb")
                   for path in (Path(__file__).resolve().parents[1] / "notebooks").glob(pattern))
PRECISE = re.compile(r"(?<![\d.])\d+\.(\d{3,})(?![\d.])")
ANY_NUMBER = re.compile(r"\d+\.\d+")


def cell_text(cell) -> tuple[str, str]:
    """(source, outputs as text) of a cell."""
    source = "".join(cell["source"])
    outputs = []
    for output in cell.get("outputs", []):
        outputs.append("".join(output.get("text", "")))
        for kind in ("text/plain", "text/markdown", "text/html"):
            outputs.append("".join(output.get("data", {}).get(kind, "")))
    return source, "\n".join(outputs)


def computed_numbers(cells) -> list[float]:
    text = "\n".join(source + "\n" + outputs for cell in cells if cell["cell_type"] == "code"
                     for source, outputs in [cell_text(cell)])
    return [float(number) for number in ANY_NUMBER.findall(text)]


def uncomputed(path: Path) -> list[str]:
    cells = json.loads(path.read_text())["cells"]
    numbers = computed_numbers(cells)
    missing = []
    for cell in cells:
        if cell["cell_type"] != "markdown":
            continue
        for match in PRECISE.finditer("".join(cell["source"])):
            value, decimals = float(match.group(0)), len(match.group(1))
            if not any(abs(round(number, decimals) - value) < 10 ** -(decimals + 3)
                       for number in numbers):
                missing.append(match.group(0))
    return missing


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_numbers_in_the_prose_are_computed_by_the_notebook(path):
    assert uncomputed(path) == [], (
        f"{path.name}: these numbers in markdown appear in no output of the notebook — "
        "re-read the prose against the outputs of the last run")
