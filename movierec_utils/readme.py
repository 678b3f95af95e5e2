"""README.md's generated blocks: text between a start and an end marker, rewritten from a results
file (the results table by notebook 04, the scaling table by ``benchmarks/scaling.py``); tests
check each block against its file."""
from __future__ import annotations

import re
from pathlib import Path

from movierec_utils.paths import project_root


def readme_path() -> Path:
    return project_root() / "README.md"


def replace_block(start: str, end: str, body: str, readme: Path | None = None) -> None:
    """Put ``body`` between the ``start`` and ``end`` markers of ``readme`` (README.md)."""
    readme = readme or readme_path()
    text = readme.read_text()
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        raise ValueError(f"{readme} has no markers {start!r} … {end!r}: put them where the "
                         "generated block belongs")
    readme.write_text(pattern.sub(lambda _: f"{start}\n{body}\n{end}", text))


def block(start: str, end: str, readme: Path | None = None) -> str:
    """The text between the markers ('' when they are missing)."""
    text = (readme or readme_path()).read_text()
    match = re.search(re.escape(start) + r"\n(.*?)\n" + re.escape(end), text, re.S)
    return match.group(1) if match else ""
