"""The main job: execute every notebook in order, then build the HTML report.

    python -m movierec_utils.report            # all notebooks, then report/index.html
    python -m movierec_utils.report --no-run   # only rebuild the HTML from the saved notebooks

Each notebook is executed in place (so the committed notebooks carry the outputs of this run),
which rewrites ``figures/`` and ``results/``; a line per notebook reports its wall time.
"""
from __future__ import annotations

import argparse
import base64
import html
import re
import sys
import time
from pathlib import Path

from movierec_utils.paths import output_dir, project_root

CELL_TIMEOUT_SECONDS = 1800


def notebooks() -> list[Path]:
    return sorted((project_root() / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def execute(path: Path) -> float:
    """Run a notebook top to bottom in its own folder and save it with its outputs."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    NotebookClient(notebook, timeout=CELL_TIMEOUT_SECONDS, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    nbformat.write(notebook, path)
    return time.perf_counter() - started


def build_html(paths: list[Path], timings: dict[str, float]) -> Path:
    """``report/<notebook>.html`` for each notebook and an index embedding every figure."""
    import nbformat
    from nbconvert import HTMLExporter

    report = output_dir("report")
    exporter = HTMLExporter(embed_images=True)
    entries = []
    for path in paths:
        body, _ = exporter.from_notebook_node(nbformat.read(path, as_version=4))
        (report / f"{path.stem}.html").write_text(body, encoding="utf-8")
        entries.append((path.stem, _title(path), timings.get(path.stem)))
    index = report / "index.html"
    index.write_text(_index_page(entries, sorted((project_root() / "figures").glob("*.png"))),
                     encoding="utf-8")
    return index


def _title(path: Path) -> str:
    import nbformat

    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#\s+(.+)$", cell.source, flags=re.M)
            if match:
                return match.group(1).strip()
    return path.stem


def _index_page(entries, figures) -> str:
    rows = "\n".join(
        f'<li><a href="{stem}.html">{html.escape(title)}</a>'
        f'{f" <small>(executed in {seconds:.0f} s)</small>" if seconds else ""}</li>'
        for stem, title, seconds in entries)
    images = "\n".join(
        f'<figure><img src="data:image/png;base64,{base64.b64encode(p.read_bytes()).decode()}" '
        f'alt="{p.stem}"><figcaption>{html.escape(p.stem.replace("_", " "))}</figcaption></figure>'
        for p in figures)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>movierec — report</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 70rem; margin: 2rem auto; padding: 0 1rem;
       color: #222; line-height: 1.5; }}
figure {{ display: inline-block; width: 32rem; margin: 0.5rem; vertical-align: top; }}
img {{ max-width: 100%; border: 1px solid #ddd; }}
figcaption {{ font-size: 0.9rem; color: #555; }}
</style></head><body>
<h1>movierec — three movie recommenders on MovieLens 100k, honestly measured</h1>
<h2>Notebooks</h2>
<ol>
{rows}
</ol>
<h2>Figures</h2>
{images}
</body></html>
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-run", action="store_true", help="only rebuild the HTML report")
    parser.add_argument("only", nargs="*", help="run only notebooks whose names contain these")
    args = parser.parse_args(argv)
    paths = notebooks()
    selected = [p for p in paths if not args.only or any(s in p.name for s in args.only)]
    timings: dict[str, float] = {}
    total_started = time.perf_counter()
    if not args.no_run:
        for number, path in enumerate(selected, 1):
            print(f"[{number}/{len(selected)}] {path.name} …", flush=True)
            try:
                timings[path.stem] = execute(path)
            except Exception as error:  # show which notebook failed, then stop
                print(f"      FAILED: {type(error).__name__}: {str(error)[-2000:]}", flush=True)
                return 1
            print(f"      done in {timings[path.stem]:.0f} s", flush=True)
    index = build_html(paths, timings)
    print(f"Report: {index}  (total {time.perf_counter() - total_started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
