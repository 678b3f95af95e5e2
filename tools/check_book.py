"""Open every page of the built book in headless Chromium and report what a reader would hit: a
broken image, a broken internal link (missing page or missing anchor), a console error, an
uncaught script error, or a request to another host (the book must work offline).

    python -m tools.check_book [build/book/_build/html]

Uses the ``playwright`` Python package with the system Chromium (``/usr/bin/chromium``; Debian's
``chromium`` package), since playwright's own browser download needs the network. The pages are
served from a local HTTP server, as a static host would serve them.
"""
from __future__ import annotations

import functools
import http.server
import re
import sys
import threading
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

CHROMIUM = Path("/usr/bin/chromium")
LOAD_SECONDS = 120  # generous: the check also runs while the test workers load the machine


class BrowserUnavailable(Exception):
    """No usable headless Chromium (the check cannot run here)."""


def browser_unavailable_reason() -> str | None:
    """Why the check cannot run here, or None when it can."""
    if not CHROMIUM.is_file():
        return (f"no Chromium at {CHROMIUM}: install it with `apt-get install -y chromium` "
                "(.ci/run does when it can)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed: run `make install`"
    return None


def _anchors(html_file: Path, cache: dict) -> set[str]:
    if html_file not in cache:
        text = html_file.read_text(encoding="utf-8", errors="replace")
        cache[html_file] = set(re.findall(r"""\b(?:id|name)=["']([^"']+)["']""", text))
    return cache[html_file]


def link_problem(root: Path, page: Path, href: str, cache: dict) -> str | None:
    """What is wrong with an internal link of ``page`` (None when it is fine or not internal)."""
    if href.startswith(("mailto:", "javascript:", "data:")):
        return None
    parsed = urlparse(href)
    if parsed.scheme not in ("", "http", "https") or (parsed.netloc and
                                                      not parsed.netloc.startswith("127.0.0.1")):
        return None  # links to other sites are the reader's choice to follow; not loaded here
    address, fragment = urldefrag(href)
    path = unquote(urlparse(address).path)
    if parsed.netloc:
        target = root / path.lstrip("/")
    else:
        target = (page.parent / path) if path else page
    if target.is_dir():
        target = target / "index.html"
    if not target.resolve().is_relative_to(root.resolve()) or not target.is_file():
        return f"{href}: no such page"
    if fragment and target.suffix == ".html" and unquote(fragment) not in _anchors(target, cache):
        return f"{href}: no anchor #{unquote(fragment)} in {target.relative_to(root)}"
    return None


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def check(root: Path) -> tuple[list[str], dict[str, list[str]]]:
    """``(pages visited, {page: problems})`` for every ``*.html`` under ``root``."""
    reason = browser_unavailable_reason()
    if reason:
        raise BrowserUnavailable(reason)
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    root = Path(root)
    pages = sorted(path for path in root.rglob("*.html")  # not the theme's template fragments
                   if not {"_sources", "_static"} & set(path.relative_to(root).parts))
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    problems: dict[str, list[str]] = {}
    cache: dict = {}
    try:
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=["--no-sandbox"])
            context = browser.new_context()

            def refuse_other_hosts(route):
                if route.request.url.startswith(origin) or route.request.url.startswith("data:"):
                    route.continue_()
                else:
                    current.append(f"request to another host: {route.request.url}")
                    route.abort()

            context.route("**/*", refuse_other_hosts)
            for page_file in pages:
                name = page_file.relative_to(root).as_posix()
                current: list[str] = []
                tab = context.new_page()
                tab.on("console", lambda message: current.append(
                    f"console error: {message.text}") if message.type == "error" else None)
                tab.on("pageerror", lambda error: current.append(f"script error: {error}"))
                tab.on("response", lambda response: current.append(
                    f"HTTP {response.status}: {response.url}")
                    if response.status >= 400 else None)
                try:
                    tab.goto(f"{origin}/{name}", wait_until="load", timeout=LOAD_SECONDS * 1000)
                    tab.wait_for_load_state("networkidle", timeout=LOAD_SECONDS * 1000)
                except PlaywrightTimeout:
                    current.append(f"did not finish loading in {LOAD_SECONDS} s")
                landed = root / unquote(urlparse(tab.url).path).lstrip("/")  # after a redirect
                page_file = landed / "index.html" if landed.is_dir() else landed
                broken = tab.evaluate("""() => Array.from(document.images)
                    .filter(image => !image.complete || image.naturalWidth === 0)
                    .map(image => image.getAttribute('src') || image.currentSrc)""")
                current += [f"broken image: {source[:120]}" for source in broken]
                hrefs = tab.evaluate("""() => Array.from(document.querySelectorAll('a[href]'))
                    .map(link => link.getAttribute('href'))""")
                for href in dict.fromkeys(hrefs):
                    problem = link_problem(root, page_file, href, cache)
                    if problem:
                        current.append(f"broken link: {problem}")
                tab.close()
                if current:
                    problems[name] = list(dict.fromkeys(current))
            browser.close()
    finally:
        server.shutdown()
    return [page.relative_to(root).as_posix() for page in pages], problems


def main(argv=None) -> int:
    from tools.book import html_index

    arguments = sys.argv[1:] if argv is None else argv
    root = Path(arguments[0]) if arguments else html_index().parent
    if not (root / "index.html").is_file():
        print(f"no book at {root}: run `make book` first", file=sys.stderr)
        return 2
    try:
        visited, problems = check(root)
    except BrowserUnavailable as error:
        print(f"skipped: {error}", file=sys.stderr)
        return 2
    for page, found in problems.items():
        print(f"{page}:\n  " + "\n  ".join(found))
    print(f"{len(visited)} pages visited, {len(problems)} with problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
