"""The book (make book): its table of contents and intro page, and — where a Chromium is
installed — every page opened in a real browser: no broken image, no broken internal link, no
console or script error, nothing fetched from another host."""
from pathlib import Path

import nbformat
import pytest

from movierec_utils.paths import project_root
from movierec_utils.results import read_results_file
from tools import book, check_book


def write_notebook(path: Path, title: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"# {title}"),
                                                   nbformat.v4.new_code_cell("1")]), path)


def test_the_contents_list_lessons_then_appendix_then_solutions_in_their_own_part(tmp_path,
                                                                                  monkeypatch):
    monkeypatch.setenv("MOVIEREC_ROOT", str(tmp_path))
    for name in ("01_b.ipynb", "00_a.ipynb", "appendix/A_studies.ipynb",
                 "solutions/00_a_solutions.ipynb", "scratch.ipynb"):
        write_notebook(tmp_path / "notebooks" / name, name)
    toc = book.table_of_contents(book.notebooks_by_part())
    assert toc == ("format: jb-book\nroot: intro\nparts:\n"
                   "  - caption: Lessons\n    chapters:\n"
                   "      - file: notebooks/00_a\n      - file: notebooks/01_b\n"
                   "  - caption: Appendix\n    chapters:\n"
                   "      - file: notebooks/appendix/A_studies\n"
                   "  - caption: Solutions\n    chapters:\n"
                   "      - file: notebooks/solutions/00_a_solutions\n")


def test_the_intro_page_carries_the_readme_table_and_findings_from_the_results_files():
    from movierec_utils.summary import readme_table

    summary = read_results_file(project_root() / "results" / "summary.json")
    page = book.intro_page(book.notebooks_by_part())
    assert page.index("## Abstract") < page.index("## Results") < page.index("## Key findings")
    assert readme_table(summary) in page
    assert f"{summary['models']['ease']['ndcg@10']['mean']:.3f}" in page
    for path in book.notebooks_by_part()["lessons"]:
        assert f"(notebooks/{path.name})" in page  # linked in reading order


def test_saved_widget_state_is_dropped_from_the_book_copy(tmp_path):
    path = tmp_path / "n.ipynb"
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
    notebook.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {}}
    notebook.cells[0].outputs = [nbformat.v4.new_output(
        "display_data", data={"text/plain": "bar", "application/vnd.jupyter.widget-view+json": {
            "model_id": "x", "version_major": 2, "version_minor": 0}})]
    nbformat.write(notebook, path)
    copy = nbformat.reads(book.without_widget_state(path), as_version=4)
    assert "widgets" not in copy.metadata
    assert copy.cells[0].outputs[0]["data"] == {"text/plain": "bar"}


def test_an_internal_link_to_a_missing_page_or_anchor_is_reported(tmp_path):
    (tmp_path / "a.html").write_text('<h1 id="top">A</h1>')
    page, cache = tmp_path / "b.html", {}
    page.write_text("")
    assert check_book.link_problem(tmp_path, page, "a.html#top", cache) is None
    assert check_book.link_problem(tmp_path, page, "https://example.org/x", cache) is None
    assert "no such page" in check_book.link_problem(tmp_path, page, "c.html", cache)
    assert "no anchor #gone in a.html" in check_book.link_problem(tmp_path, page, "a.html#gone",
                                                                  cache)


@pytest.fixture(scope="module")
def built_book():
    """The book built from the committed notebooks (the slow part: Sphinx over every page)."""
    return book.build().parent


@pytest.mark.slow
@pytest.mark.skipif(check_book.browser_unavailable_reason() is not None,
                    reason=check_book.browser_unavailable_reason() or "")
def test_every_page_of_the_book_opens_in_chromium_without_a_problem(built_book):
    visited, problems = check_book.check(built_book)
    lessons = [f"notebooks/{path.stem}.html" for path in book.notebooks_by_part()["lessons"]]
    assert set(lessons) | {"intro.html", "index.html"} <= set(visited)
    assert not problems, "\n".join(f"{page}: {'; '.join(found)}"
                                   for page, found in problems.items())
