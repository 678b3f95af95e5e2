"""A local Sphinx extension (book/_config.yml: local_extensions) that makes the book work with
nothing from the network and no console errors:

* thebe (live code in the browser, which needs a remote kernel) is not used: its scripts are
  dropped — sphinx-thebe 0.3 also adds its configuration twice, a script error on every page;
* the theme's colour mode defaults to light, so it never reads an empty mode;
* MathJax comes from the sphinx-mathjax-offline package (extra_extensions), not from a CDN;
* tables use a smaller type, so the results table's eight columns fit the page (``TABLE_CSS``).
"""
from pathlib import Path

TABLE_CSS = """/* movierec: wide tables (eight columns of "mean ± std") fit the article column */
.bd-article table { font-size: 0.75rem; }
.bd-article table td, .bd-article table th { padding: 0.25rem 0.3rem; }
"""


def _drop_thebe(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if scripts is None:
        return
    kept = []
    for script in scripts:
        filename = str(getattr(script, "filename", script) or "")
        body = str(getattr(script, "attributes", {}).get("body", ""))
        if "thebe" in filename.lower() or "THEBE_JS_URL" in body:
            continue
        kept.append(script)
    scripts[:] = kept


def _write_css(app, exception):
    if exception is None and app.builder.format == "html":
        static = Path(app.outdir) / "_static"
        static.mkdir(exist_ok=True)
        (static / "movierec.css").write_text(TABLE_CSS, encoding="utf-8")


def setup(app):
    app.connect("html-page-context", _drop_thebe)
    app.connect("build-finished", _write_css)
    app.add_css_file("movierec.css")
    app.config.html_context = {**(app.config.html_context or {}), "default_mode": "light"}
    return {"parallel_read_safe": True, "parallel_write_safe": True}
