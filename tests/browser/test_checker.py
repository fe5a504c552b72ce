"""The browser check itself, run on tiny generated sites with one known fault each.

A clean site must pass; a scratch copy with one thing broken (an image path, a
dead link, a console error, a traceback, ...) must fail with that fault reported
on that page. Needs Chromium at ``/usr/bin/chromium`` (or ``$CHROMIUM``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, sync_playwright
from site_check import (
    Kind,
    Problem,
    Site,
    check_site,
    expects_output,
    format_problems,
    launch_chromium,
    relative_luminance,
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium for every site of this module: launching it is the slow part."""
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


DOT_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40">'
    '<circle cx="20" cy="20" r="10"/></svg>'
)

# Reads the mode as the pydata theme does, and styles figures the way it does in
# dark mode: a light backing behind each image of the article.
THEME = """
<script>
  const mode = localStorage.getItem("theme")
    || (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
  document.documentElement.dataset.theme = mode;
</script>
<style>
  html[data-theme="dark"] body { background: #121212; color: #ddd; }
  html[data-theme="dark"] a { color: #8ab4f8; }
  html[data-theme="dark"] article img { background-color: #fff; }
  img { max-width: 100%; }
</style>
"""


def page(title: str, body: str, head: str = "") -> str:
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title>{THEME}{head}</head>"
        f"<body><main><article>{body}</article></main></body></html>"
    )


INDEX = page(
    "Home",
    """
    <h1 id="top">Home</h1>
    <p><a href="chapter.html#section">A section</a>, <a href="#top">back to the top</a>,
       <a href="./">home</a>, <a href="_sources/chapter.ipynb">notebook</a>,
       <a href="https://example.org/elsewhere">an external page</a>.</p>
    """,
)

CHAPTER = page(
    "Chapter",
    """
    <h1>Chapter</h1>
    <section id="section"><h2>Section</h2>
    <figure><img src="_images/dot.svg" alt="A black dot on a white square"></figure>
    <div class="cell"><div class="cell_input"><pre>print("hello")
x = 3
x</pre></div>
    <div class="cell_output"><div class="output stream"><pre>hello</pre></div>
    <div class="output text_plain"><pre>3</pre></div></div></div>
    <div class="cell"><div class="cell_input"><pre>y = x + 1</pre></div></div>
    <p><a href="index.html">Home</a></p>
    </section>
    """,
)

NOTEBOOK: dict[str, Any] = {
    "nbformat": 4,
    "nbformat_minor": 5,
    "metadata": {},
    "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": "# Chapter"},
        {
            "cell_type": "code",
            "metadata": {},
            "execution_count": 1,
            "source": 'print("hello")',
            "outputs": [{"output_type": "stream", "name": "stdout", "text": "hello\n"}],
        },
    ],
}


def make_site(root: Path, **pages: str) -> Path:
    """A clean two-page site in ``root``; ``pages`` adds or replaces pages by file name."""
    files = {"index.html": INDEX, "chapter.html": CHAPTER} | pages
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / "_images").mkdir(exist_ok=True)
    (root / "_images" / "dot.svg").write_text(DOT_SVG)
    (root / "_sources").mkdir(exist_ok=True)
    (root / "_sources" / "chapter.ipynb").write_text(json.dumps(NOTEBOOK))
    return root


def broken(old: str, new: str) -> Callable[[str], str]:
    """A fault: one piece of the clean chapter replaced by a broken one."""

    def apply(text: str) -> str:
        assert old in text, f"the clean chapter has no {old!r} to break"
        return text.replace(old, new, 1)

    return apply


def test_the_clean_site_passes(browser: Browser, tmp_path: Path) -> None:
    problems = check_site(make_site(tmp_path), browser)
    assert problems == [], format_problems(problems)


FAULTS = {
    "broken image path": (
        broken("_images/dot.svg", "_images/dots.svg"),
        Kind.IMAGE,
        "image did not load: _images/dots.svg",
    ),
    "dead internal link": (
        broken('href="index.html"', 'href="no-such-page.html"'),
        Kind.LINK,
        "link to no-such-page.html: HTTP 404",
    ),
    "link to a missing anchor": (
        broken('href="index.html"', 'href="index.html#no-such-id"'),
        Kind.ANCHOR,
        "link to index.html#no-such-id: no such id",
    ),
    "console error": (
        broken("<h1>", '<script>console.error("boom in the page")</script><h1>'),
        Kind.CONSOLE,
        "boom in the page",
    ),
    "uncaught exception": (
        broken("<h1>", "<script>null.property</script><h1>"),
        Kind.CONSOLE,
        "uncaught TypeError",
    ),
    "missing script": (
        broken("<h1>", '<script src="_static/gone.js"></script><h1>'),
        Kind.CONSOLE,
        "404",
    ),
    "traceback output": (
        broken(
            '<div class="output stream"><pre>hello</pre></div>',
            '<div class="output traceback"><pre>Traceback (most recent call last)\n'
            "ValueError: conv1d: bad</pre></div>",
        ),
        Kind.ERROR,
        "shows a traceback",
    ),
    "traceback printed as text": (
        broken(
            "<pre>hello</pre>",
            '<pre>Traceback (most recent call last):\n  File "x.py"\nKeyError: 1</pre>',
        ),
        Kind.ERROR,
        "shows a traceback",
    ),
    "error on stderr": (
        broken(
            '<div class="output stream"><pre>hello</pre></div>',
            '<div class="output stream"><pre>hello</pre></div>'
            '<div class="output stderr"><pre>ShapeError: conv1d: bad shapes</pre></div>',
        ),
        Kind.ERROR,
        "error on stderr: ShapeError",
    ),
    "Sphinx system message": (
        broken("<h1>", '<div class="system-message">Unknown directive type</div><h1>'),
        Kind.ERROR,
        "Sphinx message: Unknown directive type",
    ),
    "image without alt text": (
        broken(' alt="A black dot on a white square"', ""),
        Kind.ALT,
        "image has no alt text: _images/dot.svg",
    ),
    "alt text that is the file name": (
        broken('alt="A black dot on a white square"', 'alt="_images/dot.svg"'),
        Kind.ALT,
        "alt text is the file name",
    ),
    "cell that prints without output": (
        broken(
            '<div class="output stream"><pre>hello</pre></div>\n'
            '    <div class="output text_plain"><pre>3</pre></div>',
            "",
        ),
        Kind.OUTPUT,
        "code cell 1 shows no output: 'print(\"hello\")'",
    ),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_broken_copy_fails_with_its_fault(browser: Browser, tmp_path: Path, fault: str) -> None:
    breaks, kind, detail = FAULTS[fault]
    problems = check_site(make_site(tmp_path, **{"chapter.html": breaks(CHAPTER)}), browser)
    report = format_problems(problems)
    assert any(p.kind == kind and detail in p.detail for p in problems), report
    # Found where the fault is, and nothing invented elsewhere.
    assert {p.page for p in problems} == {"chapter.html"}, report


def test_a_site_without_index_html_is_reported(browser: Browser, tmp_path: Path) -> None:
    site = make_site(tmp_path)
    (site / "index.html").rename(site / "start.html")
    problems = check_site(site, browser)
    assert (
        Problem(
            "index.html",
            Kind.HTTP,
            "the site has no index.html at its root: its address shows a file listing",
        )
        in problems
    ), format_problems(problems)


def test_intended_errors_and_removed_outputs_pass(browser: Browser, tmp_path: Path) -> None:
    chapter = CHAPTER.replace(
        "</section>",
        """
        <div class="cell tag_raises-exception"><div class="cell_input">
        <pre>raise ValueError("conv1d: bad")</pre></div>
        <div class="cell_output"><div class="output traceback">
        <pre>Traceback (most recent call last)\nValueError: conv1d: bad</pre></div></div></div>
        <div class="doctest"><pre>&gt;&gt;&gt; tensor([[1, 2], [3]])
Traceback (most recent call last):
ShapeError: tensor: rows of different lengths</pre></div>
        <div class="cell tag_remove-output"><div class="cell_input">
        <pre>print("hidden on purpose")</pre></div></div>
        <div class="cell tag_remove-input"><div class="cell_output">
        <div class="output stream"><pre>from a hidden input</pre></div></div></div>
        </section>
        """,
    )
    problems = check_site(make_site(tmp_path, **{"chapter.html": chapter}), browser)
    assert problems == [], format_problems(problems)


REDIRECT = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Redirect</title>'
    '<meta http-equiv="refresh" content="0; url={target}"></head>'
    '<body><a href="{target}">the book</a></body></html>'
)


def test_a_root_page_that_redirects_passes(browser: Browser, tmp_path: Path) -> None:
    site = make_site(tmp_path, **{"index.html": REDIRECT.format(target="chapter.html")})
    problems = check_site(site, browser)
    assert problems == [], format_problems(problems)


def test_a_redirect_to_a_missing_page_is_reported(browser: Browser, tmp_path: Path) -> None:
    site = make_site(tmp_path, **{"index.html": REDIRECT.format(target="gone.html")})
    problems = check_site(site, browser)
    report = format_problems(problems)
    assert Problem("index.html", Kind.HTTP, "redirects to gone.html: HTTP 404") in problems, report
    assert {p.page for p in problems} == {"index.html"}, report


@pytest.mark.parametrize(
    ("source", "shows"),
    [
        ('print("hi")', True),
        ("x = 1\nx", True),
        ("t[0, 1]", True),
        ("x == y", True),
        ("for i in range(3):\n    print(i)", True),
        ("x = 1\nx;", False),
        ("x = 1", False),
        ("import numpy as np", False),
        ("f(x)", False),
        ("def f():\n    print('only when called')", False),
        ("%timeit f()\nx = 2", False),
        ("%%timeit\nf()", False),
        ("print('to a file', file=out)", False),
        ("for for in", False),
        ("", False),
    ],
)
def test_expects_output(source: str, shows: bool) -> None:
    assert expects_output(source) is shows


@pytest.mark.parametrize(
    ("colour", "luminance"),
    [
        ("rgb(255, 255, 255)", 1.0),
        ("rgb(0, 0, 0)", 0.0),
        ("rgba(18, 18, 18, 1)", 0.006049),
        ("rgb(128, 128, 128)", 0.215861),
    ],
)
def test_relative_luminance(colour: str, luminance: float) -> None:
    assert relative_luminance(colour) == pytest.approx(luminance, abs=1e-6)


def test_relative_luminance_rejects_other_colour_syntax() -> None:
    with pytest.raises(ValueError, match="not an rgb"):
        relative_luminance("white")


def notebook_problems(
    browser: Browser, tmp_path: Path, notebook_text: str | None
) -> list[Problem]:
    site = make_site(tmp_path)
    target = site / "_sources" / "chapter.ipynb"
    if notebook_text is None:
        target.unlink()
    else:
        target.write_text(notebook_text)
    with Site(site, browser) as served:
        return served.check_notebook_download("index.html")


def test_the_notebook_download_passes(browser: Browser, tmp_path: Path) -> None:
    assert notebook_problems(browser, tmp_path, json.dumps(NOTEBOOK)) == []


@pytest.mark.parametrize(
    ("notebook_text", "detail"),
    [
        (None, "_sources/chapter.ipynb: HTTP 404"),
        ("{not json", "_sources/chapter.ipynb: not JSON"),
        (json.dumps(NOTEBOOK | {"nbformat": 3}), "nbformat is 3, not 4"),
        (json.dumps(NOTEBOOK | {"cells": NOTEBOOK["cells"][:1]}), "has no code cells"),
    ],
)
def test_a_bad_notebook_download_is_reported(
    browser: Browser, tmp_path: Path, notebook_text: str | None, detail: str
) -> None:
    problems = notebook_problems(browser, tmp_path, notebook_text)
    assert [p.kind for p in problems] == [Kind.NOTEBOOK], format_problems(problems)
    assert detail in problems[0].detail


def test_a_page_without_notebook_download_is_reported(browser: Browser, tmp_path: Path) -> None:
    with Site(make_site(tmp_path), browser) as served:
        problems = served.check_notebook_download("chapter.html")
    assert problems == [Problem("chapter.html", Kind.NOTEBOOK, "no link to a .ipynb download")]


def test_screenshots_in_both_modes_and_widths(browser: Browser, tmp_path: Path) -> None:
    shots = tmp_path / "shots"
    with Site(make_site(tmp_path / "site"), browser) as served:
        problems = served.screenshots("chapter.html", shots)
    assert problems == [], format_problems(problems)
    written = sorted(file.name for file in shots.iterdir())
    assert written == [
        "chapter-dark-1280.png",
        "chapter-dark-390.png",
        "chapter-light-1280.png",
        "chapter-light-390.png",
    ]
    assert all(file.read_bytes().startswith(b"\x89PNG") for file in shots.iterdir())


def test_a_dark_figure_in_dark_mode_is_reported(browser: Browser, tmp_path: Path) -> None:
    # The site's own style takes the theme's light backing away from figures.
    chapter = CHAPTER.replace(
        "</head>",
        '<style>html[data-theme="dark"] article img { background-color: transparent; }'
        "</style></head>",
    )
    with Site(make_site(tmp_path / "site", **{"chapter.html": chapter}), browser) as served:
        problems = served.screenshots("chapter.html", tmp_path / "shots")
    kinds = {(p.kind, p.detail.split(":")[0]) for p in problems}
    assert kinds == {(Kind.THEME, "dark mode, 1280 px"), (Kind.THEME, "dark mode, 390 px")}, (
        format_problems(problems)
    )
    assert all("_images/dot.svg sits on a dark background" in p.detail for p in problems)


def test_dark_figures_across_a_chapter(browser: Browser, tmp_path: Path) -> None:
    with Site(make_site(tmp_path), browser) as served:
        problems = served.check_dark_figures(["index.html", "chapter.html"])
    assert problems == [], format_problems(problems)


def test_a_chapter_without_figures_is_reported(browser: Browser, tmp_path: Path) -> None:
    with Site(make_site(tmp_path), browser) as served:
        problems = served.check_dark_figures(["index.html"])
    assert [(p.page, p.kind, p.detail) for p in problems] == [
        ("index.html", Kind.THEME, "dark mode: no figure on any of 1 pages: ['index.html']")
    ]


def test_a_dark_figure_in_a_chapter_is_reported(browser: Browser, tmp_path: Path) -> None:
    chapter = CHAPTER.replace(
        "</head>",
        '<style>html[data-theme="dark"] article img { background-color: #222; }</style></head>',
    )
    with Site(make_site(tmp_path, **{"chapter.html": chapter}), browser) as served:
        problems = served.check_dark_figures(["index.html", "chapter.html"])
    assert [(p.page, p.kind) for p in problems] == [("chapter.html", Kind.THEME)]
    assert "figure _images/dot.svg sits on a dark background rgb(34, 34, 34)" in (
        problems[0].detail
    )


def test_a_page_wider_than_a_phone_is_reported(browser: Browser, tmp_path: Path) -> None:
    chapter = CHAPTER.replace("<h1>", '<div style="width: 700px">a wide block</div><h1>')
    with Site(make_site(tmp_path / "site", **{"chapter.html": chapter}), browser) as served:
        problems = served.screenshots("chapter.html", tmp_path / "shots")
    details = [re.sub(r"\d+ px wide", "N px wide", p.detail) for p in problems]
    assert details == [
        "light mode, 390 px: page is N px wide, scrolls sideways",
        "dark mode, 390 px: page is N px wide, scrolls sideways",
    ], format_problems(problems)
    assert all(p.kind == Kind.LAYOUT for p in problems)


def test_a_mode_that_does_not_switch_is_reported(browser: Browser, tmp_path: Path) -> None:
    chapter = CHAPTER.replace(THEME, "")  # a page that ignores the reader's choice
    with Site(make_site(tmp_path / "site", **{"chapter.html": chapter}), browser) as served:
        problems = served.screenshots("chapter.html", tmp_path / "shots")
    assert {p.detail for p in problems if p.kind == Kind.THEME} >= {
        "light mode, 1280 px: page shows theme None",
        "dark mode, 1280 px: page shows theme None",
    }, format_problems(problems)


SEARCH = page(
    "Search",
    """
    <div id="search-results"></div>
    <script>
      // Answers like Sphinx's searchtools: a list of links, then a summary line.
      const query = new URLSearchParams(location.search).get("q");
      setTimeout(() => {
        const out = document.getElementById("search-results");
        const list = out.appendChild(document.createElement("ul"));
        list.className = "search";
        if (query === "convolution") {
          const link = list.appendChild(document.createElement("li"))
            .appendChild(document.createElement("a"));
          link.href = "book/convolution/index.html";
          link.textContent = "Convolution";
        }
        const summary = out.appendChild(document.createElement("p"));
        summary.className = "search-summary";
        summary.textContent = "Search finished.";
      }, 200);
    </script>
    """,
)


@pytest.mark.parametrize(
    ("query", "found"),
    [("convolution", True), ("pooling", False)],
)
def test_search(browser: Browser, tmp_path: Path, query: str, found: bool) -> None:
    with Site(make_site(tmp_path, **{"search.html": SEARCH}), browser) as served:
        problems = served.check_search(query, "convolution")
    if found:
        assert problems == [], format_problems(problems)
    else:
        assert [p.kind for p in problems] == [Kind.SEARCH]
        assert "no result under 'convolution' for 'pooling'" in problems[0].detail


def test_a_search_that_never_finishes_is_reported(browser: Browser, tmp_path: Path) -> None:
    silent = page("Search", '<div id="search-results"></div>')
    with Site(make_site(tmp_path, **{"search.html": silent}), browser) as served:
        problems = served.check_search("convolution", "convolution", timeout_ms=1_000)
    assert [p.detail for p in problems] == ["search did not finish in time"]


def test_a_site_without_search_page_is_reported(browser: Browser, tmp_path: Path) -> None:
    with Site(make_site(tmp_path), browser) as served:
        problems = served.check_search("convolution", "convolution")
    assert [(p.page, p.kind, p.detail) for p in problems] == [
        ("search.html?q=convolution", Kind.HTTP, "loaded with HTTP 404")
    ]


# --------------------------------------------------------------- build paths
@pytest.mark.parametrize(
    "shown",
    [
        '  File "/home/builder/minitorch/src/minitorch/tensor.py", line 3',
        "cache in /tmp/tmpab12cd/notebook.ipynb",
        r"C:\Users\builder\minitorch\tensor.py",
    ],
)
def test_an_absolute_build_path_is_reported(browser: Browser, tmp_path: Path, shown: str) -> None:
    chapter = broken("<pre>hello</pre>", f"<pre>hello\n{shown}</pre>")(CHAPTER)
    problems = check_site(make_site(tmp_path, **{"chapter.html": chapter}), browser)
    assert [(p.page, p.kind) for p in problems] == [("chapter.html", Kind.PATH)], format_problems(
        problems
    )
    assert "shows the absolute path" in problems[0].detail


def test_a_path_in_an_intended_error_is_reported_too(browser: Browser, tmp_path: Path) -> None:
    chapter = broken(
        "<h1>",
        '<div class="cell tag_raises-exception"><div class="cell_output">'
        '<pre>File "/work/main/src/minitorch/tensor.py", line 9</pre></div></div><h1>',
    )(CHAPTER)
    problems = check_site(make_site(tmp_path, **{"chapter.html": chapter}), browser)
    assert [p.kind for p in problems] == [Kind.PATH], format_problems(problems)
    assert "/work/main/src/minitorch/tensor.py" in problems[0].detail


def test_the_site_folder_itself_is_a_build_path(browser: Browser, tmp_path: Path) -> None:
    site = make_site(tmp_path / "deep" / "build" / "html")
    chapter = broken("<pre>hello</pre>", f"<pre>hello from {site.parent}</pre>")(CHAPTER)
    (site / "chapter.html").write_text(chapter)
    problems = check_site(site, browser)
    assert [p.kind for p in problems] == [Kind.PATH], format_problems(problems)


def test_urls_and_relative_paths_are_not_build_paths(browser: Browser, tmp_path: Path) -> None:
    chapter = broken(
        "<pre>hello</pre>",
        "<pre>hello\nsee https://example.org/home/guide and src/minitorch/tensor.py\n"
        "a/tmp/b is relative, 10/usr/2 is arithmetic</pre>",
    )(CHAPTER)
    problems = check_site(make_site(tmp_path, **{"chapter.html": chapter}), browser)
    assert problems == [], format_problems(problems)


# ---------------------------------------------------------------- legibility
# A 200 x 40 figure: a white card, a light orange cell on the right, two words.
LABEL_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40" viewBox="0 0 200 40">'
    '<rect width="200" height="40" fill="#ffffff"/>'
    '<rect x="100" width="100" height="40" fill="#fbe3b3"/>'
    '<text x="50" y="25" font-size="{size}" fill="{ink}" text-anchor="middle">plain</text>'
    '<text x="150" y="25" font-size="14" fill="{tinted}" text-anchor="middle">tinted</text>'
    "</svg>"
)
LEGIBLE = {"size": "14", "ink": "#1a1a1a", "tinted": "#855c00"}


def legibility_site(root: Path, chapter: str = CHAPTER, **svg: str) -> Path:
    site = make_site(root, **{"chapter.html": chapter})
    figure = '<figure><img src="_images/label.svg" alt="Two words on a white card"></figure>'
    page_with_figure = broken("<h1>Chapter</h1>", "<h1>Chapter</h1>" + figure)(chapter)
    (site / "chapter.html").write_text(page_with_figure)
    (site / "_images" / "label.svg").write_text(LABEL_SVG.format(**(LEGIBLE | svg)))
    return site


def legibility(browser: Browser, site: Path) -> list[Problem]:
    with Site(site, browser) as served:
        return served.check_legibility(["index.html", "chapter.html"])


def test_legible_figures_and_text_pass_in_both_modes(browser: Browser, tmp_path: Path) -> None:
    problems = legibility(browser, legibility_site(tmp_path))
    assert problems == [], format_problems(problems)


LEGIBILITY_FAULTS = {
    "small figure text": (
        {"size": "8"},
        CHAPTER,
        "figure _images/label.svg: 1 texts under 11 px, smallest 8.0 px: 'plain'",
    ),
    "figure shrunk by the page": (
        {},
        CHAPTER.replace("</head>", "<style>figure img { width: 100px; }</style></head>"),
        "figure _images/label.svg: 2 texts under 11 px, smallest 7.0 px",
    ),
    "grey figure text": (
        {"ink": "#8a8a8a"},
        CHAPTER,
        "_images/label.svg: 1 texts under 4.5:1 contrast, lowest 3.45:1, "
        "rgb(138, 138, 138) on rgb(255, 255, 255)",
    ),
    "coloured text on its own cell": (
        {"tinted": "#e69f00"},
        CHAPTER,
        "rgb(230, 159, 0) on rgb(251, 227, 179)",
    ),
}


@pytest.mark.parametrize("fault", sorted(LEGIBILITY_FAULTS))
def test_an_illegible_figure_is_reported_in_both_modes(
    browser: Browser, tmp_path: Path, fault: str
) -> None:
    svg, chapter, detail = LEGIBILITY_FAULTS[fault]
    problems = legibility(browser, legibility_site(tmp_path, chapter, **svg))
    assert {(p.page, p.kind) for p in problems} == {("chapter.html", Kind.LEGIBILITY)}, (
        format_problems(problems)
    )
    for mode in ("light", "dark"):
        assert any(p.detail.startswith(f"{mode} mode, 1280 px: ") for p in problems), mode
    assert all(detail in p.detail for p in problems), format_problems(problems)


def test_faint_page_text_in_dark_mode_only_is_reported(browser: Browser, tmp_path: Path) -> None:
    chapter = CHAPTER.replace(
        "</head>", '<style>html[data-theme="dark"] h2 { color: #3a3a3a; }</style></head>'
    )
    problems = legibility(browser, legibility_site(tmp_path, chapter))
    assert [(p.page, p.kind) for p in problems] == [("chapter.html", Kind.LEGIBILITY)], (
        format_problems(problems)
    )
    assert problems[0].detail.startswith("dark mode, 1280 px: page text: 1 texts under 4.5:1")
    assert "rgb(58, 58, 58) on rgb(18, 18, 18) (h2): 'Section'" in problems[0].detail


def test_translucent_text_is_measured_as_painted(browser: Browser, tmp_path: Path) -> None:
    chapter = CHAPTER.replace("</head>", "<style>h2 { color: rgba(0, 0, 0, 0.3); }</style></head>")
    problems = legibility(browser, legibility_site(tmp_path, chapter))
    light = [p for p in problems if p.detail.startswith("light")]
    assert len(light) == 1 and "(h2): 'Section'" in light[0].detail, format_problems(problems)


def png_data_uri(red: int, green: int, blue: int) -> str:
    """A 2 x 2 PNG of one colour, as a data: URI (what matplotlib embeds for a heat map)."""
    import base64
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + bytes([red, green, blue]) * 2 for _ in range(2))
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    return "data:image/png;base64," + base64.b64encode(png).decode()


@pytest.mark.parametrize(("pixel", "legible"), [((10, 40, 90), True), ((250, 250, 250), False)])
def test_text_over_a_raster_image_is_measured_on_its_pixels(
    browser: Browser, tmp_path: Path, pixel: tuple[int, int, int], legible: bool
) -> None:
    site = legibility_site(tmp_path)
    (site / "_images" / "label.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40" viewBox="0 0 200 40">'
        '<rect width="200" height="40" fill="#ffffff"/>'
        f'<image x="100" y="0" width="100" height="40" href="{png_data_uri(*pixel)}"/>'
        '<text x="150" y="25" font-size="14" fill="#ffffff" text-anchor="middle">99</text>'
        "</svg>"
    )
    problems = legibility(browser, site)
    if legible:
        assert problems == [], format_problems(problems)
    else:
        assert len(problems) == 2 and all("'99'" in p.detail for p in problems), format_problems(
            problems
        )
