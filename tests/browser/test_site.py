"""The built book, as a reader meets it: served on localhost and opened in Chromium.

Run by ``nox -s browser`` after it has built the book. The site is
``_build/html`` (or ``$MINITORCH_SITE``); screenshots go to ``_build/screenshots``
(or ``$MINITORCH_SCREENSHOTS``). Every failure lists every problem, one per line.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from site_check import Site, format_problems

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(os.environ.get("MINITORCH_SITE", ROOT / "_build" / "html"))
SCREENSHOTS = Path(os.environ.get("MINITORCH_SCREENSHOTS", ROOT / "_build" / "screenshots"))

# The chapter the book is centred on: search must find it, and it is photographed.
CHAPTER = "convolution"


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    if not any(SITE.glob("**/*.html")):
        pytest.fail(f"no built site in {SITE}: build it with `nox -s docs` first")
    with Site(SITE) as served:
        yield served


@pytest.fixture(scope="module")
def chapter_pages(site: Site) -> list[str]:
    """The chapter's pages, its opening page first: ``.../convolution/index.html`` and
    the other pages of that folder, or a single ``.../convolution.html``."""
    pages = site.pages()
    for page in pages:
        if page.endswith(f"{CHAPTER}/index.html"):
            folder = page.removesuffix("index.html")
            return [page] + [p for p in pages if p.startswith(folder) and p != page]
        if page.endswith(f"{CHAPTER}.html"):
            return [page]
    pytest.fail(f"no page for the {CHAPTER!r} chapter among {len(pages)} pages: {pages}")


def figure_count(page: Path) -> int:
    """How many images the article of a built page shows (read from the file)."""
    text = page.read_text(encoding="utf-8")
    start = text.find("<article")
    return text.count("<img", start, text.find("</article>", start)) if start >= 0 else 0


def test_every_page_is_clean(site: Site) -> None:
    pages = site.pages()
    problems = site.check_pages()
    print(f"checked {len(pages)} pages of {SITE}")
    if site.external_requests:
        # Not a fault: the machine is offline, a reader's browser fetches them.
        print("answered empty (they leave localhost):", *sorted(site.external_requests))
    assert not problems, f"{len(problems)} problems:\n{format_problems(problems)}"


def test_search_finds_the_chapter(site: Site) -> None:
    problems = site.check_search(CHAPTER, CHAPTER)
    assert not problems, format_problems(problems)


def test_the_chapter_downloads_as_a_notebook(site: Site, chapter_pages: list[str]) -> None:
    problems = site.check_notebook_download(chapter_pages[0])
    assert not problems, format_problems(problems)


def test_the_chapter_in_light_and_dark_mode(site: Site, chapter_pages: list[str]) -> None:
    # The opening page, and the page with the most figures (when that is another).
    most_figures = max(chapter_pages, key=lambda page: figure_count(SITE / page))
    photographed = sorted({chapter_pages[0], most_figures}, key=chapter_pages.index)
    problems = []
    for page in photographed:
        problems += site.screenshots(page, SCREENSHOTS)
    problems += site.check_dark_figures(chapter_pages)
    print(f"screenshots of {photographed} in {SCREENSHOTS}")
    assert not problems, format_problems(problems)


def test_every_page_is_legible_in_light_and_dark_mode(site: Site) -> None:
    """Figure text at least 11 px at 1280 px, all text at 4.5:1, in both theme modes."""
    pages = site.pages()
    problems = site.check_legibility(pages)
    print(f"measured the text of {len(pages)} pages in light and dark mode")
    assert not problems, f"{len(problems)} problems:\n{format_problems(problems)}"
