"""Check a built website the way a reader meets it: served on localhost, opened in Chromium.

The site is a folder of static files (Sphinx's ``_build/html``). It is served by a
``http.server`` thread on ``127.0.0.1`` and every page is opened in Debian's headless
Chromium, driven by Playwright. What a page gets wrong comes back as a `Problem`,
never as an exception, so one run reports every broken page at once::

    problems = check_site("_build/html")
    for problem in problems:
        print(problem)

`check_site` runs the checks every page must pass. `Site` keeps the server and the
browser open for the checks that concern one feature of the book rather than every
page: the search page (`Site.check_search`), the notebook download
(`Site.check_notebook_download`), the light / dark screenshots (`Site.screenshots`),
the figures' light backing in dark mode (`Site.check_dark_figures`) and legibility in
both modes (`Site.check_legibility`: every figure's text at least 11 CSS px at a
1280-px window, every text of the article and of its figures at 4.5:1 contrast).

Requests that leave localhost (a CDN's MathJax, say) are answered with an empty
response inside the browser: the check must not depend on the network, and a
page's own files are what it is about. They are listed in `Site.external_requests`.
"""

from __future__ import annotations

import ast
import functools
import json
import os
import re
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from enum import StrEnum
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    Playwright,
    Request,
    Route,
    sync_playwright,
)
from playwright.sync_api import Error as PlaywrightError

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
"""The browser binary: Debian's ``chromium`` package (no browser is downloaded)."""

CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these three Chromium dials out at start-up, and on a machine
    # without a network its connections are refused.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

# Folders of a Sphinx build that hold files, not pages.
NOT_PAGES = {"_static", "_sources", "_images", "_downloads"}

# How long one page may take to load, in milliseconds, and then to finish the
# requests its scripts make, in seconds.
TIMEOUT_MS = 20_000
SETTLE_S = 5
# How many times a page may send the browser on before it is read.
REDIRECTS = 5


class Kind(StrEnum):
    """What is wrong, one value per check."""

    HTTP = "http"  # the page did not load with status 200
    CONSOLE = "console"  # a JavaScript error or a failed resource in the console
    IMAGE = "image"  # an <img> that did not load
    ALT = "alt"  # an <img> without alt text that says something
    LINK = "link"  # an internal link to a file that is not there
    ANCHOR = "anchor"  # an internal link to an id that is not on its page
    OUTPUT = "output"  # a code cell that prints but shows no output
    ERROR = "error"  # a traceback, an error on stderr, a Sphinx system message
    SEARCH = "search"  # the search page does not find what it should
    NOTEBOOK = "notebook"  # the notebook download is missing or not a notebook
    THEME = "theme"  # light / dark mode did not switch, or a figure is dark in dark mode
    LAYOUT = "layout"  # the page is wider than a phone's screen
    PATH = "path"  # the page shows an absolute path of the machine that built it
    LEGIBILITY = "legibility"  # figure text under 11 px, or text under 4.5:1 contrast


@dataclass(frozen=True)
class Problem:
    """One thing a reader would see broken.

    Attributes:
        page: The page, as a path relative to the site's root (``book/conv.html``).
        kind: Which check failed.
        detail: What exactly is wrong, with the offending value.
    """

    page: str
    kind: Kind
    detail: str

    def __str__(self) -> str:
        return f"{self.page}: [{self.kind}] {self.detail}"


def format_problems(problems: list[Problem]) -> str:
    """One line per problem, grouped by page, for a test's failure message."""
    ordered = sorted(problems, key=lambda p: (p.page, p.kind, p.detail))
    return "\n".join(str(problem) for problem in ordered)


def check_site(root_dir: str | Path, browser: Browser | None = None) -> list[Problem]:
    """Serve the site in ``root_dir`` and check every page of it in Chromium.

    Every ``.html`` file (outside ``_static``, ``_sources``, ``_images``) must load
    with status 200 and no console error; every image must load and carry alt text;
    every internal link must reach a file, and its ``#anchor`` an id on that page;
    a code cell that prints must show its output; no page may show a traceback or
    an error (a cell tagged ``raises-exception`` and a doctest that expects an
    exception show theirs on purpose).

    Args:
        root_dir: The built site, e.g. ``_build/html``.
        browser: An open Chromium to use (see `launch_chromium`); by default
            one is launched for this check and closed after it.

    Returns:
        The problems found, empty when the site is clean.
    """
    with Site(root_dir, browser) as site:
        return site.check_pages()


def launch_chromium(playwright: Playwright) -> Browser:
    """Start Debian's Chromium, headless, with nothing that reaches for the network."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))


def expects_output(source: str) -> bool:
    """Whether a code cell's source surely shows something when it runs.

    A cell shows output when it calls ``print`` or ``display`` outside a function
    body, or when it ends in a bare expression that is not a call (a call may
    return ``None``) and not silenced with ``;``. IPython magics are read as no-ops.

    >>> expects_output('print("hi")')
    True
    >>> expects_output("x = 3\\nx")
    True
    >>> expects_output("x = 3\\nx;")
    False
    >>> expects_output("def f():\\n    print('later')")
    False
    """
    if source.lstrip().startswith("%%"):
        return False
    lines = [_MAGIC.sub(r"\1pass", line) for line in source.splitlines()]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return False
    if not tree.body:
        return False
    finder = _PrintFinder()
    finder.visit(tree)
    if finder.found:
        return True
    last = tree.body[-1]
    silent = (ast.Call, ast.Await, ast.Yield, ast.YieldFrom)
    return (
        isinstance(last, ast.Expr)
        and not isinstance(last.value, silent)
        and not source.rstrip().endswith(";")
    )


_MAGIC = re.compile(r"^(\s*)[%!].*$")


class _PrintFinder(ast.NodeVisitor):
    """Finds a ``print(...)`` or ``display(...)`` that runs when the cell runs."""

    def __init__(self) -> None:
        self.found = False

    def visit_Call(self, node: ast.Call) -> None:  # noqa: N802 (ast's visitor names)
        named = isinstance(node.func, ast.Name) and node.func.id in {"print", "display"}
        to_file = any(keyword.arg == "file" for keyword in node.keywords)
        if named and not to_file:
            self.found = True
        self.generic_visit(node)

    # The body of a function runs only when it is called, maybe never.
    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:  # noqa: N802
        return

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:  # noqa: N802
        return

    def visit_Lambda(self, node: ast.Lambda) -> None:  # noqa: N802
        return


def relative_luminance(css_colour: str) -> float:
    """The WCAG relative luminance of a CSS ``rgb()``/``rgba()`` colour, 0 (black) to 1.

    >>> relative_luminance("rgb(255, 255, 255)")
    1.0
    >>> relative_luminance("rgba(0, 0, 0, 0.5)")
    0.0
    """
    numbers = re.findall(r"[\d.]+", css_colour)
    if len(numbers) < 3:
        raise ValueError(f"relative_luminance: not an rgb() colour: {css_colour!r}")

    def linear(channel: str) -> float:
        value = float(channel) / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(channel) for channel in numbers[:3])
    return round(0.2126 * red + 0.7152 * green + 0.0722 * blue, 6)


def contrast_ratio(first: str, second: str) -> float:
    """The WCAG contrast ratio of two opaque CSS ``rgb()`` colours, 1 to 21.

    >>> contrast_ratio("rgb(0, 0, 0)", "rgb(255, 255, 255)")
    21.0
    >>> round(contrast_ratio("rgb(138, 138, 138)", "rgb(255, 255, 255)"), 2)
    3.45
    """
    high, low = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return round((high + 0.05) / (low + 0.05), 4)


# WCAG AA for text; the smallest figure text a reader should have to read.
MIN_CONTRAST = 4.5
MIN_FIGURE_TEXT_PX = 11.0

# An absolute path of the machine that built the book (a traceback's file names,
# a temporary directory): a reader needs the error line, not the builder's disk.
# A path inside a URL (preceded by a word character, ':' or '/') is not one.
ABSOLUTE_PATH = re.compile(
    r"(?<![\w:/.~-])(?:/(?:home|root|tmp|var|usr|opt|srv|mnt|work|builds?|runner|Users|private)"
    r"/[^\s\"'<>)\]]+|[A-Za-z]:\\[^\s\"'<>]+)"
)


# A background at least this light keeps black lines readable (dark mode's page
# background is near 0.01, the theme's light figure backing near 0.65).
LIGHT_BACKGROUND = 0.4


# Fetches from the local server never go through a proxy named in the environment.
_LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class _Server(ThreadingHTTPServer):
    """The local server; a browser that drops a connection it no longer needs is normal."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(SimpleHTTPRequestHandler):
    """Serves files quietly: the test prints the problems, not the access log."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (base's name)
        return


@dataclass
class _Tab:
    """A browser page, with the console errors it logged and the requests still open."""

    page: Page
    errors: list[str]
    pending: set[Request]

    def close(self) -> None:
        """Close the page and its browser context."""
        self.page.context.close()


@dataclass
class _PageReport:
    """What the browser saw on one page, kept for the link check after the crawl."""

    path: str
    ids: set[str]


class Site:
    """A built site served on a free localhost port, with Chromium open on it.

    Use it as a context manager; the server and the browser close on exit::

        with Site("_build/html") as site:
            problems = site.check_pages() + site.check_search("convolution", "convolution")

    Args:
        root_dir: The built site, e.g. ``_build/html``.
        browser: An open Chromium to use, left open on exit; by default one is
            launched on entry and closed on exit.
    """

    def __init__(self, root_dir: str | Path, browser: Browser | None = None) -> None:
        self.root = Path(root_dir).resolve()
        if not self.root.is_dir() or next(self.root.rglob("*.html"), None) is None:
            raise FileNotFoundError(f"Site: no .html file in {self.root}; build the site first")
        self.external_requests: set[str] = set()
        self._server: _Server | None = None
        self._playwright: Playwright | None = None
        self._browser = browser
        self._owns_browser = browser is None
        self.base_url = ""

    def __enter__(self) -> Site:
        handler = functools.partial(_Handler, directory=str(self.root))
        self._server = _Server(("127.0.0.1", 0), handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}/"
        if not self._owns_browser:
            return self
        try:
            self._playwright = sync_playwright().start()
            self._browser = launch_chromium(self._playwright)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._owns_browser and self._browser is not None:
            self._browser.close()
            self._browser = None
        if self._playwright is not None:
            self._playwright.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def browser(self) -> Browser:
        """The open Chromium; only inside the ``with`` block."""
        if self._browser is None:
            raise RuntimeError("Site: use the site inside `with Site(...) as site:`")
        return self._browser

    def url(self, path: str) -> str:
        """The served address of a path relative to the site's root."""
        return urljoin(self.base_url, path)

    def pages(self) -> list[str]:
        """Every page of the site, as paths relative to its root, sorted."""
        found = []
        for file in self.root.rglob("*.html"):
            if not file.is_file():
                continue
            relative = file.relative_to(self.root)
            folders = relative.parts[:-1]
            if any(part in NOT_PAGES or part.startswith(".") for part in folders):
                continue
            found.append(relative.as_posix())
        return sorted(found)

    def _path_of(self, url: str) -> str:
        """The site-relative path of a served URL (without query and fragment)."""
        return unquote(urlsplit(url).path).lstrip("/")

    def _new_tab(self, fresh_visits: bool = False, **context_options: Any) -> _Tab:
        """A page in a new browser context, recording its console errors and requests.

        Args:
            fresh_visits: Clear ``localStorage`` before every page loads, so each
                page is seen as by a reader who arrives there first.
            **context_options: Playwright's ``new_context`` options (viewport, ...).
        """
        context = self.browser.new_context(**context_options)
        context.set_default_timeout(TIMEOUT_MS)
        # Only requests that leave the server are intercepted (matched in the driver,
        # not in Python: a route on every request doubles the time a page takes).
        context.route(re.compile(rf"^(?!{re.escape(self.base_url)})"), self._route_away)
        if fresh_visits:
            # (An opaque origin such as about:blank has no storage to clear.)
            context.add_init_script(
                "try { localStorage.clear(); sessionStorage.clear(); } catch (error) {}"
            )
        tab = _Tab(context.new_page(), [], set())

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                where = message.location.get("url", "")
                suffix = f" (at {self._path_of(where) or where})" if where else ""
                tab.errors.append(f"{message.text}{suffix}")

        tab.page.on("console", on_console)
        tab.page.on(
            "pageerror", lambda error: tab.errors.append(f"uncaught {error.name}: {error}")
        )
        # (Playwright wraps each handler: it takes functions, not a set's methods.)
        tab.page.on("request", lambda request: tab.pending.add(request))
        tab.page.on("requestfinished", lambda request: tab.pending.discard(request))
        tab.page.on("requestfailed", lambda request: tab.pending.discard(request))
        return tab

    def _route_away(self, route: Route) -> None:
        """Answer a request that leaves localhost with an empty response, and note it."""
        self.external_requests.add(route.request.url)
        route.fulfill(status=200, body="")

    def _open(self, tab: _Tab, path: str, problems: list[Problem]) -> bool:
        """Go to ``path`` and wait until it settles; False (and a problem) if it fails.

        Settled means loaded, no request of the page still open (fetches its
        scripts start after the load event included), and two frames drawn.
        """
        tab.errors.clear()
        try:
            response = tab.page.goto(self.url(path), wait_until="load")
        except PlaywrightError as error:
            problems.append(Problem(path, Kind.HTTP, f"did not load: {error.message}"))
            return False
        if response is None or response.status != 200:
            status = "no response" if response is None else f"HTTP {response.status}"
            problems.append(Problem(path, Kind.HTTP, f"loaded with {status}"))
            return False
        deadline = time.monotonic() + SETTLE_S
        while tab.pending and time.monotonic() < deadline:
            tab.page.wait_for_timeout(25)
        if tab.pending:
            waiting = sorted(request.url for request in tab.pending)
            problems.append(
                Problem(path, Kind.HTTP, f"still loading after {SETTLE_S} s: {waiting}")
            )
        try:
            tab.page.evaluate(_TWO_FRAMES)
        except PlaywrightError as error:
            # The page sends the reader on (a redirect); `_inspect` follows it.
            if "context was destroyed" not in error.message:
                raise
        return True

    def check_pages(self) -> list[Problem]:
        """Check every page of the site; see `check_site`.

        Each page is seen as by a reader who arrives there first (from a search
        engine, say): nothing is left in ``localStorage`` by the pages before it.
        """
        problems: list[Problem] = []
        if not (self.root / "index.html").is_file():
            problems.append(
                Problem(
                    "index.html",
                    Kind.HTTP,
                    "the site has no index.html at its root: its address shows a file listing",
                )
            )
        reports: dict[str, _PageReport] = {}
        # link target (site path) -> fragment ("" for none) -> pages that link it
        links: dict[str, dict[str, list[str]]] = {}
        # console message -> pages that log it (a theme's error shows on every page)
        console: dict[str, list[str]] = {}
        tab = self._new_tab(fresh_visits=True, viewport=DESKTOP)
        try:
            for path in self.pages():
                if self._open(tab, path, problems):
                    seen = self._inspect(tab, path, problems)
                    self._note_page(path, seen, tab.errors, problems, reports, links, console)
        finally:
            tab.close()
        problems += [_grouped(Kind.CONSOLE, text, pages) for text, pages in console.items()]
        problems += self._link_problems(links, reports)
        return problems

    def _inspect(self, tab: _Tab, path: str, problems: list[Problem]) -> dict[str, Any]:
        """What the page shows (see `_INSPECT_PAGE`), following a redirect it makes.

        A page that sends the reader on (``<meta http-equiv="refresh">``, as a
        site's root page may) is judged by the page it lands on, which must load.
        """
        requested = self.url(path)
        for _ in range(REDIRECTS):
            try:
                seen: dict[str, Any] = tab.page.evaluate(_INSPECT_PAGE)
                break
            except PlaywrightError as error:
                if "context was destroyed" not in error.message:
                    raise
            # The page navigated away while being read: let the next one load.
            tab.page.wait_for_timeout(50)
            tab.page.wait_for_load_state("load")
        else:
            raise RuntimeError(f"Site: {path} keeps navigating after {REDIRECTS} tries")
        landed = urldefrag(tab.page.url)[0]
        if landed != requested:
            where = self._path_of(landed)
            status, _ = self._fetch_ids(where)
            if status != 200:
                problems.append(Problem(path, Kind.HTTP, f"redirects to {where}: HTTP {status}"))
        return seen

    def _note_page(
        self,
        path: str,
        seen: dict[str, Any],
        errors: list[str],
        problems: list[Problem],
        reports: dict[str, _PageReport],
        links: dict[str, dict[str, list[str]]],
        console: dict[str, list[str]],
    ) -> None:
        """Judge what the browser saw on one page; keep its ids and links for later."""
        for text in errors:
            console.setdefault(text, []).append(path)
        problems += _image_problems(path, seen["images"])
        problems += _cell_problems(path, seen["cells"])
        problems += _error_problems(path, seen["errors"])
        problems += _path_problems(path, seen["text"], self.root)
        reports[path] = _PageReport(path, set(seen["ids"]))
        for href in seen["links"]:
            if not href.startswith(self.base_url):
                continue
            target, fragment = urldefrag(href)
            fragments = links.setdefault(self._path_of(target), {})
            fragments.setdefault(unquote(fragment), []).append(path)

    def _link_problems(
        self, links: dict[str, dict[str, list[str]]], reports: dict[str, _PageReport]
    ) -> list[Problem]:
        """Fetch every distinct internal link once; check its anchors against its page."""
        problems = []
        for target, fragments in sorted(links.items()):
            report = reports.get(target) or reports.get(_index_of(target))
            ids = report.ids if report else None
            if ids is None:
                status, ids = self._fetch_ids(target)
                if status != 200:
                    for sources in fragments.values():
                        problems.append(
                            _link_problem(Kind.LINK, target, f"HTTP {status}", sources)
                        )
                    continue
            for fragment, sources in sorted(fragments.items()):
                if fragment and fragment not in ids:
                    where = f"{target}#{fragment}"
                    problems.append(_link_problem(Kind.ANCHOR, where, "no such id", sources))
        return problems

    def _fetch_ids(self, path: str) -> tuple[int, set[str]]:
        """The HTTP status of a served path and, for HTML, the ids it defines."""
        try:
            with _LOCAL.open(self.url(path), timeout=10) as response:
                status = response.status
                body = response.read()
                is_html = response.headers.get_content_type() == "text/html"
        except urllib.error.HTTPError as error:
            return error.code, set()
        if not is_html:
            return status, set()
        collector = _IdCollector()
        collector.feed(body.decode("utf-8", errors="replace"))
        return status, collector.ids

    def check_search(
        self, query: str, expected_in_path: str, timeout_ms: int = TIMEOUT_MS
    ) -> list[Problem]:
        """Search the site for ``query``; a result must link a page under ``expected_in_path``.

        Args:
            query: What a reader types into the search box.
            expected_in_path: A piece of the path of the page that must be found.
            timeout_ms: How long the search may take once the page has loaded.

        Returns:
            A problem if the search fails or finds no such page, else nothing.
        """
        path = f"search.html?q={query}"
        problems: list[Problem] = []
        tab = self._new_tab(viewport=DESKTOP)
        try:
            if not self._open(tab, path, problems):
                return problems
            try:
                tab.page.wait_for_function(_SEARCH_FINISHED, timeout=timeout_ms)
            except PlaywrightError:
                problems.append(Problem(path, Kind.SEARCH, "search did not finish in time"))
                return problems
            hrefs = tab.page.eval_on_selector_all(
                "#search-results ul.search li a", "links => links.map(a => a.href)"
            )
            problems += [Problem(path, Kind.CONSOLE, text) for text in tab.errors]
        finally:
            tab.close()
        found = [self._path_of(href) for href in hrefs]
        if not any(expected_in_path in result for result in found):
            problems.append(
                Problem(
                    path,
                    Kind.SEARCH,
                    f"no result under {expected_in_path!r} for {query!r}; results: {found}",
                )
            )
        return problems

    def check_notebook_download(self, path: str) -> list[Problem]:
        """The page's notebook download button must give a valid nbformat-4 notebook with code.

        Args:
            path: The page, relative to the site's root.

        Returns:
            The problems found, empty when the download is a notebook with code cells.
        """
        problems: list[Problem] = []
        tab = self._new_tab(viewport=DESKTOP)
        try:
            if not self._open(tab, path, problems):
                return problems
            hrefs = tab.page.eval_on_selector_all(
                'a[href$=".ipynb"]', "links => links.map(a => a.href)"
            )
        finally:
            tab.close()
        if not hrefs:
            problems.append(Problem(path, Kind.NOTEBOOK, "no link to a .ipynb download"))
            return problems
        for href in sorted(set(hrefs)):
            problems += _notebook_problems(path, href)
        return problems

    def screenshots(self, path: str, out_dir: str | Path) -> list[Problem]:
        """Photograph a page in light and dark mode at desktop and phone width.

        Writes ``<name>-<mode>-<width>.png`` into ``out_dir``. The mode is set the
        way the pydata theme reads it (its switcher's ``localStorage`` and the
        system's colour scheme) and checked on ``<html data-theme>``. In dark mode
        every figure on the page must keep a light background behind its dark
        lines; at phone width the page must not scroll sideways.

        Args:
            path: The page, relative to the site's root.
            out_dir: The folder for the PNG files (created if missing).

        Returns:
            The problems found.
        """
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9]+", "-", path.removesuffix(".html")).strip("-")
        problems: list[Problem] = []
        for mode in ("light", "dark"):
            for viewport in (DESKTOP, PHONE):
                tab = self._themed_tab(mode, viewport)
                try:
                    if not self._open(tab, path, problems):
                        continue
                    problems += [Problem(path, Kind.CONSOLE, text) for text in tab.errors]
                    problems += _theme_problems(path, mode, viewport, tab.page)
                    file = out / f"{name}-{mode}-{viewport['width']}.png"
                    tab.page.screenshot(path=str(file), full_page=True)
                finally:
                    tab.close()
        return problems

    def check_dark_figures(self, paths: list[str]) -> list[Problem]:
        """In dark mode, every figure on these pages keeps a light background.

        At least one of the pages must show a figure: otherwise the check proves
        nothing, and a chapter drawn from tensors that shows none is a fault too.

        Args:
            paths: The pages (a chapter's), relative to the site's root.

        Returns:
            The problems found.
        """
        problems: list[Problem] = []
        shown = 0
        tab = self._themed_tab("dark", DESKTOP)
        try:
            for path in paths:
                if not self._open(tab, path, problems):
                    continue
                figures = tab.page.evaluate(_FIGURE_BACKGROUNDS)
                shown += len(figures)
                problems += _dark_figure_problems(path, "dark mode, 1280 px", figures)
        finally:
            tab.close()
        if not shown:
            where = paths[0] if paths else "(no pages)"
            detail = f"dark mode: no figure on any of {len(paths)} pages: {paths}"
            problems.append(Problem(where, Kind.THEME, detail))
        return problems

    def check_legibility(
        self, paths: list[str], modes: tuple[str, ...] = ("light", "dark")
    ) -> list[Problem]:
        """Every figure's text is at least 11 CSS px, and all text has 4.5:1 contrast.

        Measured at a 1280-px window in each mode, as the browser renders it:
        each SVG figure of the article is drawn again, off-screen, at the size
        the page shows it, and each of its texts is measured there (its font
        size times the scale at which it is drawn; its fill against the shape
        painted under its centre, or the figure's card). The article's own text
        is measured against the background painted behind it.

        Args:
            paths: The pages to check, relative to the site's root.
            modes: The theme modes to check them in.

        Returns:
            The problems found.
        """
        problems: list[Problem] = []
        for mode in modes:
            tab = self._themed_tab(mode, DESKTOP)
            try:
                for path in paths:
                    if not self._open(tab, path, problems):
                        continue
                    texts = self._evaluate_landed(tab, path, _LEGIBILITY)
                    problems += _legibility_problems(path, f"{mode} mode, 1280 px", texts)
            finally:
                tab.close()
        return problems

    def _evaluate_landed(self, tab: _Tab, path: str, script: str) -> Any:
        """Run ``script`` in the page, or in the page it sends the reader on to."""
        for _ in range(REDIRECTS):
            try:
                return tab.page.evaluate(script)
            except PlaywrightError as error:
                if "context was destroyed" not in error.message:
                    raise
            tab.page.wait_for_timeout(50)
            tab.page.wait_for_load_state("load")
        raise RuntimeError(f"Site: {path} keeps navigating after {REDIRECTS} tries")

    def _themed_tab(self, mode: str, viewport: dict[str, int]) -> _Tab:
        """A page for a reader who chose ``mode`` in the theme's switcher, on that screen."""
        phone = viewport is PHONE
        tab = self._new_tab(viewport=viewport, color_scheme=mode, is_mobile=phone, has_touch=phone)
        # What the pydata theme's switcher stores, and reads before the first paint.
        tab.page.context.add_init_script(
            f"localStorage.setItem('mode', '{mode}'); localStorage.setItem('theme', '{mode}');"
        )
        return tab


def _index_of(path: str) -> str:
    """The page a folder link is served as (``book/`` -> ``book/index.html``)."""
    return f"{path}index.html" if path == "" or path.endswith("/") else path


def _link_problem(kind: Kind, target: str, why: str, sources: list[str]) -> Problem:
    """One problem per broken link, placed on the first page that has it."""
    return _grouped(kind, f"link to {target or '/'}: {why}", sources)


def _grouped(kind: Kind, detail: str, pages: list[str]) -> Problem:
    """One problem for a fault that several pages share, placed on the first of them."""
    unique = sorted(set(pages))
    others = f" (and on {len(unique) - 1} more pages)" if len(unique) > 1 else ""
    return Problem(unique[0], kind, f"{detail}{others}")


def _image_problems(path: str, images: list[dict[str, Any]]) -> list[Problem]:
    """Images that did not load, or whose alt text is missing or just the file's name."""
    problems = []
    for image in images:
        src = image["src"] or "(no src)"
        if not image["loaded"]:
            problems.append(Problem(path, Kind.IMAGE, f"image did not load: {src}"))
        alt = (image["alt"] or "").strip()
        if not alt:
            problems.append(Problem(path, Kind.ALT, f"image has no alt text: {src}"))
        elif _looks_like_a_file(alt, src):
            problems.append(Problem(path, Kind.ALT, f"alt text is the file name: {alt!r}"))
    return problems


def _looks_like_a_file(alt: str, src: str) -> bool:
    """Alt text that names the file instead of saying what the image shows."""
    name = src.rsplit("/", 1)[-1]
    return alt == src or alt.rsplit("/", 1)[-1] == name or bool(_IMAGE_FILE.fullmatch(alt))


_IMAGE_FILE = re.compile(r"\S*\.(png|svg|jpe?g|gif|webp)", re.IGNORECASE)


# Tags with which MyST-NB hides a cell's output on purpose.
_OUTPUT_REMOVED = {"tag_remove-output", "tag_remove-stdout", "tag_remove-cell"}


def _cell_problems(path: str, cells: list[dict[str, Any]]) -> list[Problem]:
    """Code cells that print (see `expects_output`) but show no output."""
    problems = []
    for number, cell in enumerate(cells, start=1):
        if cell["source"] is None or _OUTPUT_REMOVED & set(cell["classes"]):
            continue
        if expects_output(cell["source"]) and not cell["has_output"]:
            first_line = cell["source"].strip().splitlines()[0]
            problems.append(
                Problem(path, Kind.OUTPUT, f"code cell {number} shows no output: {first_line!r}")
            )
    return problems


def _error_problems(path: str, errors: dict[str, list[str]]) -> list[Problem]:
    """Tracebacks, errors on stderr and Sphinx system messages on a page."""
    problems = []
    for text in errors["tracebacks"]:
        problems.append(Problem(path, Kind.ERROR, f"shows a traceback: {_excerpt(text)}"))
    for text in errors["stderr"]:
        if _ERROR_WORDS.search(text):
            problems.append(Problem(path, Kind.ERROR, f"error on stderr: {_excerpt(text)}"))
    for text in errors["system_messages"]:
        problems.append(Problem(path, Kind.ERROR, f"Sphinx message: {_excerpt(text)}"))
    return problems


_ERROR_WORDS = re.compile(r"Traceback|\w*(Error|Exception)\b")


def _path_problems(path: str, text: str, root: Path) -> list[Problem]:
    """Absolute paths of the build machine in a page's text (its site folder's included)."""
    found = set(ABSOLUTE_PATH.findall(text))
    for folder in {root, *root.parents[:3]} - {Path("/")}:
        if len(folder.parts) > 2 and str(folder) in text:
            found.add(str(folder))
    # A folder found inside a longer path found is the same fault: report the longest.
    longest = {
        shown for shown in found if not any(o != shown and o.startswith(shown) for o in found)
    }
    return [
        Problem(path, Kind.PATH, f"shows the absolute path {shown!r}") for shown in sorted(longest)
    ]


def _legibility_problems(path: str, where: str, texts: list[dict[str, Any]]) -> list[Problem]:
    """Figure text under 11 px, and text (page or figure) under 4.5:1 on its background.

    One problem per figure (or per page's text) and kind of fault, naming the
    smallest or faintest example, so a theme-wide fault is one line, not hundreds.
    """
    small: dict[str, list[dict[str, Any]]] = {}
    faint: dict[str, list[tuple[float, dict[str, Any]]]] = {}
    for text in texts:
        owner = text.get("figure") or "page text"
        if text.get("figure") and text["size"] < MIN_FIGURE_TEXT_PX - 0.05:
            small.setdefault(owner, []).append(text)
        ratio = contrast_ratio(text["colour"], text["background"])
        if ratio < MIN_CONTRAST - 0.005:
            faint.setdefault(owner, []).append((ratio, text))
    problems = []
    for owner, found in sorted(small.items()):
        worst = min(found, key=lambda t: t["size"])
        problems.append(
            Problem(
                path,
                Kind.LEGIBILITY,
                f"{where}: figure {owner}: {len(found)} texts under {MIN_FIGURE_TEXT_PX:g} px, "
                f"smallest {worst['size']:.1f} px: {worst['text']!r}",
            )
        )
    for owner, found in sorted(faint.items()):
        ratio, worst = min(found, key=lambda pair: pair[0])
        element = f" ({worst['element']})" if worst.get("element") else ""
        problems.append(
            Problem(
                path,
                Kind.LEGIBILITY,
                f"{where}: {owner}: {len(found)} texts under {MIN_CONTRAST}:1 contrast, lowest "
                f"{ratio:.2f}:1, {worst['colour']} on {worst['background']}{element}: "
                f"{worst['text']!r}",
            )
        )
    return problems


def _excerpt(text: str, limit: int = 160) -> str:
    """The text on one line, shortened for a report."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _notebook_problems(path: str, href: str) -> list[Problem]:
    """Problems with one downloaded notebook: not served, not JSON, not nbformat 4, no code."""
    name = urlsplit(href).path.lstrip("/")
    try:
        with _LOCAL.open(href, timeout=10) as response:
            body = response.read()
    except urllib.error.HTTPError as error:
        return [Problem(path, Kind.NOTEBOOK, f"{name}: HTTP {error.code}")]
    try:
        notebook = json.loads(body)
    except json.JSONDecodeError as error:
        return [Problem(path, Kind.NOTEBOOK, f"{name}: not JSON ({error})")]
    if not isinstance(notebook, dict) or notebook.get("nbformat") != 4:
        version = notebook.get("nbformat") if isinstance(notebook, dict) else None
        return [Problem(path, Kind.NOTEBOOK, f"{name}: nbformat is {version!r}, not 4")]
    cells = notebook.get("cells")
    if not isinstance(cells, list):
        return [Problem(path, Kind.NOTEBOOK, f"{name}: has no list of cells")]
    code = [cell for cell in cells if isinstance(cell, dict) and cell.get("cell_type") == "code"]
    if not code:
        return [Problem(path, Kind.NOTEBOOK, f"{name}: has no code cells")]
    malformed = [cell for cell in code if not isinstance(cell.get("outputs"), list)]
    if malformed:
        return [Problem(path, Kind.NOTEBOOK, f"{name}: {len(malformed)} code cells lack outputs")]
    return []


def _theme_problems(path: str, mode: str, viewport: dict[str, int], page: Page) -> list[Problem]:
    """The mode took effect; figures stay light in dark mode; no sideways scroll on a phone."""
    problems = []
    where = f"{mode} mode, {viewport['width']} px"
    shown = page.evaluate("document.documentElement.dataset.theme")
    if shown != mode:
        problems.append(Problem(path, Kind.THEME, f"{where}: page shows theme {shown!r}"))
    if mode == "dark":
        problems += _dark_figure_problems(path, where, page.evaluate(_FIGURE_BACKGROUNDS))
    if viewport is PHONE:
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > viewport["width"] + 1:
            problems.append(
                Problem(path, Kind.LAYOUT, f"{where}: page is {width} px wide, scrolls sideways")
            )
    return problems


def _dark_figure_problems(path: str, where: str, figures: list[dict[str, str]]) -> list[Problem]:
    """Figures whose lines sit on a dark background (see `LIGHT_BACKGROUND`)."""
    problems = []
    for figure in figures:
        luminance = relative_luminance(figure["background"])
        if luminance < LIGHT_BACKGROUND:
            problems.append(
                Problem(
                    path,
                    Kind.THEME,
                    f"{where}: figure {figure['src']} sits on a dark background "
                    f"{figure['background']} (luminance {luminance:.2f})",
                )
            )
    return problems


class _IdCollector(HTMLParser):
    """The ids (and old-style ``<a name>``) an HTML file defines."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and (name == "id" or (tag == "a" and name == "name")):
                self.ids.add(value)


# Runs in the page once it has loaded: everything the checks need, in one round trip.
_INSPECT_PAGE = """
async () => {
  // After a redirect this may run in a document that is still being parsed.
  if (document.readyState !== "complete") {
    await new Promise((done) => addEventListener("load", done, { once: true }));
  }
  const images = [...document.images];
  // Lazy images load only when scrolled to; a reader scrolls, so load them all.
  await Promise.all(images.map((img) => {
    if (img.loading === "lazy") img.loading = "eager";
    if (img.complete) return null;
    const settled = img.decode().catch(() => null);
    return Promise.race([settled, new Promise((done) => setTimeout(done, 5000))]);
  }));
  const outputShown = (cell) => {
    const out = cell.querySelector(".cell_output");
    return !!out && (out.textContent.trim() !== ""
      || !!out.querySelector("img, svg, canvas, iframe, video, table"));
  };
  // A copy to cut shown-on-purpose parts out of, owned by an inert document:
  // a plain clone of the body would fetch every image a second time.
  const body = document.implementation.createHTMLDocument("").importNode(document.body, true);
  body.querySelectorAll("script, style, noscript").forEach((node) => node.remove());
  // Everything a reader can read, intended errors included: no build paths anywhere.
  const text = body.textContent;
  // Shown on purpose: a cell tagged raises-exception, and a docstring's doctest
  // of an expected exception (the API reference).
  body.querySelectorAll(".tag_raises-exception, .doctest").forEach((node) => node.remove());
  const tracebacks = [...body.querySelectorAll(".output.traceback")]
    .map((node) => node.textContent);
  if (!tracebacks.length && body.textContent.includes("Traceback (most recent call last)")) {
    const text = body.textContent;
    const at = text.indexOf("Traceback (most recent call last)");
    tracebacks.push(text.slice(Math.max(0, at - 40), at + 120));
  }
  return {
    text,
    images: images.map((img) => ({
      src: img.getAttribute("src"),
      alt: img.getAttribute("alt"),
      loaded: img.complete && img.naturalWidth > 0,
    })),
    links: [...document.querySelectorAll("a[href]")].map((a) => a.href),
    ids: [...document.querySelectorAll("[id]")].map((node) => node.id)
      .concat([...document.querySelectorAll("a[name]")].map((a) => a.name)),
    cells: [...document.querySelectorAll("div.cell")].map((cell) => {
      const code = cell.querySelector(".cell_input pre");
      return {
        classes: [...cell.classList],
        source: code ? code.textContent : null,
        has_output: outputShown(cell),
      };
    }),
    errors: {
      tracebacks,
      stderr: [...body.querySelectorAll(".output.stderr")].map((node) => node.textContent),
      system_messages: [...body.querySelectorAll(".system-message")]
        .map((node) => node.textContent),
    },
  };
}
"""

_TWO_FRAMES = """
() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))
"""

_SEARCH_FINISHED = """
() => {
  const summary = document.querySelector("#search-results .search-summary");
  return !!summary && summary.textContent.trim() !== "";
}
"""

# For each figure of the article, the first opaque background behind its lines:
# its own, or that of the nearest ancestor that paints one.
_FIGURE_BACKGROUNDS = """
() => {
  const article = document.querySelector("article") || document.querySelector("main")
    || document.body;
  const opaque = (colour) => {
    const parts = colour.match(/[\\d.]+/g);
    if (!parts || parts.length < 3) return false;
    return parts.length < 4 || parseFloat(parts[3]) >= 0.5;
  };
  return [...article.querySelectorAll("img")].map((img) => {
    let node = img;
    // Nothing painted: the canvas shows, dark when the page asks for a dark scheme.
    const scheme = getComputedStyle(document.documentElement).colorScheme;
    let background = scheme.includes("dark") ? "rgb(0, 0, 0)" : "rgb(255, 255, 255)";
    while (node && node.nodeType === 1) {
      const colour = getComputedStyle(node).backgroundColor;
      if (opaque(colour)) { background = colour; break; }
      node = node.parentElement;
    }
    return { src: img.getAttribute("src"), background };
  });
}
"""

# Every text of the article and of its SVG figures: its size in CSS px (figures),
# its colour and the opaque colour painted behind it, all as rgb().
_LEGIBILITY = """
async () => {
  if (document.readyState !== "complete") {
    await new Promise((done) => addEventListener("load", done, { once: true }));
  }
  if (!document.body) return [];
  const article = document.querySelector("article") || document.querySelector("main")
    || document.body;
  const rgba = (colour) => {
    const parts = (colour || "").match(/[\\d.]+/g);
    if (!parts || parts.length < 3) return null;
    return parts.slice(0, 4).map(Number).concat(parts.length < 4 ? [1] : []);
  };
  const over = (top, bottom) => {
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)).concat([1]);
  };
  const css = (c) => `rgb(${c.slice(0, 3).map((v) => Math.round(v)).join(", ")})`;
  const dark = getComputedStyle(document.documentElement).colorScheme.includes("dark");
  const canvas = dark ? [0, 0, 0, 1] : [255, 255, 255, 1];
  // The colour painted behind an element: its and its ancestors' backgrounds, composed.
  const behind = (node) => {
    const layers = [];
    for (; node && node.nodeType === 1; node = node.parentElement) {
      const colour = rgba(getComputedStyle(node).backgroundColor);
      if (colour && colour[3] > 0) layers.push(colour);
      if (colour && colour[3] >= 0.999) break;
    }
    return layers.reverse().reduce((below, layer) => over(layer, below), canvas);
  };
  const describe = (el) => el.tagName.toLowerCase()
    + (el.classList.length ? "." + [...el.classList].slice(0, 2).join(".") : "");
  const texts = [];
  const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!el || seen.has(el) || !walker.currentNode.textContent.trim()) continue;
    seen.add(el);
    if (el.closest("svg, script, style, noscript")) continue;
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    if (style.visibility !== "visible" || box.width <= 1 || box.height <= 1) continue;
    const background = behind(el);
    const colour = rgba(style.color);
    if (!colour) continue;
    texts.push({
      text: walker.currentNode.textContent.trim().slice(0, 60),
      element: describe(el),
      colour: css(over(colour, background)),
      background: css(background),
    });
  }
  for (const img of article.querySelectorAll("img")) {
    const src = img.getAttribute("src") || "";
    if (!/\\.svg([?#].*)?$/.test(src) || !img.complete) continue;
    const source = await (await fetch(img.currentSrc || img.src)).text();
    const parsed = new DOMParser().parseFromString(source, "image/svg+xml").documentElement;
    if (parsed.nodeName !== "svg") continue;
    const box = img.getBoundingClientRect();
    const style = getComputedStyle(img);
    const inner = (size, a, b) => size - [a, b].reduce((sum, side) =>
      sum + parseFloat(style[`padding${side}`]) + parseFloat(style[`border${side}Width`]), 0);
    const width = inner(box.width, "Left", "Right");
    const height = inner(box.height, "Top", "Bottom");
    if (width <= 0 || height <= 0) continue;
    const svg = document.importNode(parsed, true);
    if (!svg.getAttribute("viewBox")) {
      const w = parseFloat(svg.getAttribute("width")), h = parseFloat(svg.getAttribute("height"));
      if (w > 0 && h > 0) svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
    }
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);
    const holder = document.createElement("div");
    holder.style.cssText = "position:absolute;left:-100000px;top:0;pointer-events:none";
    holder.appendChild(svg);
    document.body.appendChild(holder);
    const card = behind(img);
    const shapes = [...svg.querySelectorAll("rect, path, polygon, circle, ellipse, image")]
      .filter((shape) => !shape.closest("defs, marker, clipPath, mask, pattern, text"));
    // A raster <image> (a plot's heat map) is read pixel by pixel from a canvas.
    const pixels = new Map();
    for (const image of shapes.filter((shape) => shape.tagName === "image")) {
      const picture = new Image();
      picture.src = image.getAttribute("href") || image.getAttribute("xlink:href") || "";
      try { await picture.decode(); } catch (error) { continue; }
      const canvas = document.createElement("canvas");
      canvas.width = picture.naturalWidth;
      canvas.height = picture.naturalHeight;
      const context = canvas.getContext("2d");
      context.drawImage(picture, 0, 0);
      pixels.set(image, (x, y) => {
        const box = image.getBBox();
        const column = Math.floor((x - box.x) / box.width * canvas.width);
        const row = Math.floor((y - box.y) / box.height * canvas.height);
        if (column < 0 || row < 0 || column >= canvas.width || row >= canvas.height) return null;
        const [r, g, b, a] = context.getImageData(column, row, 1, 1).data;
        return [r, g, b, a / 255];
      });
    }
    for (const text of svg.querySelectorAll("text")) {
      if (!text.textContent.trim()) continue;
      const matrix = text.getScreenCTM();
      const style = getComputedStyle(text);
      const colour = rgba(style.fill);
      if (!matrix || !colour) continue;
      const at = text.getBoundingClientRect();
      const centre = new DOMPoint(at.left + at.width / 2, at.top + at.height / 2);
      let background = card;
      for (const shape of shapes) {
        const shapeMatrix = shape.getScreenCTM();
        if (!shapeMatrix) continue;
        if (shape.tagName === "image") {
          const local = centre.matrixTransform(shapeMatrix.inverse());
          const pixel = pixels.has(shape) ? pixels.get(shape)(local.x, local.y) : null;
          if (pixel && pixel[3] > 0) background = over(pixel, background);
          continue;
        }
        const fill = rgba(getComputedStyle(shape).fill);
        if (!fill) continue;
        const opacity = parseFloat(getComputedStyle(shape).fillOpacity);
        fill[3] *= isNaN(opacity) ? 1 : opacity;
        if (fill[3] > 0 && shape.isPointInFill(centre.matrixTransform(shapeMatrix.inverse()))) {
          background = over(fill, background);
        }
      }
      texts.push({
        figure: src,
        text: text.textContent.trim().slice(0, 60),
        size: parseFloat(style.fontSize) * Math.hypot(matrix.a, matrix.b),
        colour: css(over(colour, background)),
        background: css(background),
      });
    }
    holder.remove();
  }
  return texts;
}
"""
