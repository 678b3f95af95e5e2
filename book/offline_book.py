"""A local Sphinx extension (book/_config.yml: local_extensions) that makes the book work with
nothing from the network and no console errors:

* thebe (live code in the browser, which needs a remote kernel) is not used: its scripts are
  dropped — sphinx-thebe 0.3 also adds its configuration twice, a script error on every page;
* the theme's colour mode defaults to light, so it never reads an empty mode;
* MathJax comes from the sphinx-mathjax-offline package (extra_extensions), not from a CDN.
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


def setup(app):
    app.connect("html-page-context", _drop_thebe)
    app.config.html_context = {**(app.config.html_context or {}), "default_mode": "light"}
    return {"parallel_read_safe": True, "parallel_write_safe": True}
