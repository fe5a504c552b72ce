"""Checks on the book's sources that do not need a Sphinx build.

The build (``nox -s docs``) executes every page; these tests catch, in a
second and without executing anything, the mistakes that would otherwise
surface only there or not at all: a page that is not a text notebook, a hidden
cell that checks nothing, a figure without alt text, a ``literalinclude`` of a
function that was renamed, a module missing from the API reference, and a
``>>>`` example in the prose that no longer returns what it shows.
"""

from __future__ import annotations

import ast
import doctest
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
SRC = ROOT / "src"
PAGES = sorted(p for p in BOOK.rglob("*.md") if "_static" not in p.parts)

CELL = re.compile(r"^```\{code-cell\}([^\n]*)\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
FENCE = re.compile(r"^(```|~~~)[^\n]*\n.*?^\1[ \t]*$", re.MULTILINE | re.DOTALL)
KNOWN_TAGS = {
    "remove-cell",
    "remove-input",
    "remove-output",
    "hide-input",
    "hide-output",
    # An exercise's solution code: one collapsed block for the code and its output.
    "hide-cell",
    "raises-exception",
}
FIGURE_CALL = re.compile(r"\bfigure\(")
LITERAL_FIGURE_CALL = re.compile(r'\bfigure\("([a-z0-9_]+)"\)')


@dataclass
class Cell:
    """One code cell of a MyST notebook: its options and its source."""

    page: Path
    options: dict[str, Any]
    source: str
    tags: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        first = self.source.strip().splitlines()[0] if self.source.strip() else "<empty>"
        return f"{self.page.relative_to(ROOT)}: cell starting {first!r}"


def front_matter(text: str) -> dict[str, Any]:
    if not text.startswith("---\n"):
        return {}
    end = text.index("\n---\n", 4)
    return yaml.safe_load(text[4:end]) or {}


def cells(page: Path) -> list[Cell]:
    found = []
    for match in CELL.finditer(page.read_text()):
        body = match.group(2)
        options: dict[str, Any] = {}
        if body.startswith("---\n"):
            end = body.index("\n---\n", 4)
            options = yaml.safe_load(body[4:end]) or {}
            body = body[end + 5 :]
        else:
            lines = body.splitlines(keepends=True)
            while lines and lines[0].startswith(":"):
                key, _, value = lines.pop(0)[1:].partition(":")
                options[key.strip()] = yaml.safe_load(value)
            body = "".join(lines)
        tags = list(options.get("tags") or [])
        found.append(Cell(page, options, body, tags))
    return found


def prose(page: Path) -> str:
    """The page without its code cells (fenced ``>>>`` examples are prose here)."""
    return CELL.sub("", page.read_text())


ALL_CELLS = [cell for page in PAGES for cell in cells(page)]
NOTEBOOKS = [page for page in PAGES if cells(page)]


def test_the_book_has_pages_and_cells() -> None:
    assert (BOOK / "index.md").is_file()
    assert len(NOTEBOOKS) >= 5 and len(ALL_CELLS) >= 50


@pytest.mark.parametrize("page", NOTEBOOKS, ids=lambda p: str(p.relative_to(BOOK)))
def test_pages_with_code_are_python3_text_notebooks(page: Path) -> None:
    meta = front_matter(page.read_text())
    assert meta.get("kernelspec", {}).get("name") == "python3", page
    assert meta.get("jupytext", {}).get("text_representation", {}).get("format_name") == "myst"
    for match in CELL.finditer(page.read_text()):
        assert match.group(1).strip() == "ipython3", f"{page}: code-cell needs the ipython3 lexer"


def test_no_notebook_with_stored_outputs_in_the_book() -> None:
    assert not list(BOOK.rglob("*.ipynb")), "book pages are MyST text notebooks, without outputs"


@pytest.mark.parametrize("cell", ALL_CELLS, ids=str)
def test_cell_tags_are_known(cell: Cell) -> None:
    assert set(cell.tags) <= KNOWN_TAGS, f"{cell}: unknown tags {set(cell.tags) - KNOWN_TAGS}"


def test_removed_cells_only_check_claims() -> None:
    """A cell hidden entirely must assert something; setup is shown or collapsed instead."""
    removed = [cell for cell in ALL_CELLS if "remove-cell" in cell.tags]
    assert removed, "the book's numbers are checked by hidden cells"
    for cell in removed:
        tree = ast.parse(cell.source)
        assert any(isinstance(node, ast.Assert) for node in ast.walk(tree)), str(cell)


def test_cells_meant_to_raise_are_rare() -> None:
    raising = [cell for cell in ALL_CELLS if "raises-exception" in cell.tags]
    per_page: dict[Path, int] = {}
    for cell in raising:
        per_page[cell.page] = per_page.get(cell.page, 0) + 1
        assert len(ast.parse(cell.source).body) == 1, f"{cell}: a raising cell is one statement"
    assert all(count <= 1 for count in per_page.values()), per_page
    assert len(raising) <= 3


def figure_cells() -> list[tuple[Cell, str]]:
    found = []
    for cell in ALL_CELLS:
        for name in LITERAL_FIGURE_CALL.findall(cell.source):
            found.append((cell, name))
    return found


def test_figures_are_called_by_literal_name() -> None:
    """`figure("name")` only, so that a scan of the book finds every figure it shows."""
    for cell in ALL_CELLS:
        calls = len(FIGURE_CALL.findall(cell.source))
        literal = len(LITERAL_FIGURE_CALL.findall(cell.source))
        assert calls == literal, f'{cell}: call figures as figure("name")'


def figure_options(cell: Cell) -> tuple[dict[str, Any], dict[str, Any]]:
    mystnb = cell.options.get("mystnb") or {}
    return mystnb.get("figure") or {}, mystnb.get("image") or {}


def test_every_figure_has_a_caption_a_label_and_alt_text() -> None:
    captioned = [cell for cell in ALL_CELLS if figure_options(cell)[0]]
    assert captioned, "the book shows figures"
    for cell in captioned:
        figure, image = figure_options(cell)
        assert figure.get("caption"), f"{cell}: a figure needs mystnb.figure.caption"
        assert str(figure.get("name", "")).startswith("fig-"), f"{cell}: label it fig-..."
        assert len(str(image.get("alt", ""))) > 20, f"{cell}: say what the figure shows"


def test_registry_figures_carry_the_registry_alt_text() -> None:
    from minitorch.drawing.figures import REGISTRY

    shown = figure_cells()
    assert shown, "the book shows the registry's figures"
    for cell, name in shown:
        assert name in REGISTRY, f"{cell}: no figure {name!r} in the registry"
        figure, image = figure_options(cell)
        assert figure.get("name") == f"fig-{name}", f"{cell}: label it fig-{name}"
        assert image.get("alt") == REGISTRY[name].alt, (
            f"{cell}: the alt text must be the registry's"
        )
        assert "remove-input" in cell.tags, f"{cell}: hide the figure call"


def test_every_registered_figure_is_in_the_book() -> None:
    from minitorch.drawing.figures import REGISTRY

    assert {name for _, name in figure_cells()} == set(REGISTRY)


def test_every_figure_label_is_referenced_and_every_reference_exists() -> None:
    labels = {figure_options(cell)[0].get("name") for cell in ALL_CELLS} - {None}
    references = {
        target
        for page in PAGES
        for target in re.findall(r"\{numref\}`(?:[^`<]*<)?([^`>]+)>?`", page.read_text())
    }
    assert references <= labels, f"numref to a missing figure: {references - labels}"
    assert labels <= references, f"figures never referenced in the text: {labels - references}"


LITERALINCLUDE = re.compile(r"^```\{literalinclude\} ([^\n]+)\n((?::[^\n]*\n)*)", re.MULTILINE)


def test_included_library_code_exists() -> None:
    """Each `literalinclude :pyobject:` names a function or class its file defines."""
    includes = 0
    for page in PAGES:
        for match in LITERALINCLUDE.finditer(page.read_text()):
            path = (page.parent / match.group(1).strip()).resolve()
            assert path.is_file() and SRC in path.parents, f"{page}: {path}"
            pyobject = re.search(r"^:pyobject: (\S+)$", match.group(2), re.MULTILINE)
            assert pyobject, f"{page}: include library code by :pyobject:, not by lines"
            defined = {
                node.name
                for node in ast.parse(path.read_text()).body
                if isinstance(node, ast.FunctionDef | ast.ClassDef)
            }
            assert pyobject.group(1) in defined, f"{page}: {path.name} has no {pyobject.group(1)}"
            includes += 1
    assert includes >= 5


def public_modules() -> set[str]:
    modules = set()
    for path in (SRC / "minitorch").rglob("*.py"):
        parts = path.relative_to(SRC).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if any(part.startswith("_") for part in parts) or len(parts) == 1:
            continue
        modules.add(".".join(parts))
    return modules


def test_api_reference_documents_every_public_module() -> None:
    api = (BOOK / "api.md").read_text()
    documented = set(re.findall(r"^\.\. automodule:: (\S+)$", api, re.MULTILINE))
    missing = public_modules() - documented
    assert not missing, f"add to book/api.md: {sorted(missing)}"
    assert documented <= public_modules(), documented - public_modules()


def test_every_page_is_in_a_toctree() -> None:
    listed = {BOOK / "index.md"}
    for page in PAGES:
        for block in re.findall(r"^```\{toctree\}\n(.*?)^```", page.read_text(), re.M | re.S):
            for line in block.splitlines():
                if line.strip() and not line.startswith(":"):
                    listed.add((page.parent / f"{line.strip()}.md").resolve())
    assert set(PAGES) <= listed, sorted(str(p) for p in set(PAGES) - listed)


def pages_with_examples() -> list[Path]:
    return [page for page in PAGES if re.search(r"^\s*>>> ", prose(page), re.MULTILINE)]


@pytest.mark.parametrize("page", pages_with_examples(), ids=lambda p: str(p.relative_to(BOOK)))
def test_examples_in_the_prose_run(page: Path) -> None:
    test = doctest.DocTestParser().get_doctest(prose(page), {}, str(page), str(page), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted > 0 and result.failed == 0, f"{page}: {result}"


def conf_values() -> dict[str, Any]:
    tree = ast.parse((ROOT / "conf.py").read_text())
    values = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                try:
                    values[target.id] = ast.literal_eval(node.value)
                except ValueError:
                    continue
    return values


def test_conf_builds_the_book_from_book_only_and_fails_on_errors() -> None:
    conf = conf_values()
    assert conf["root_doc"] == "book/index"
    assert conf["include_patterns"] == ["book/**"]
    assert {"_build", ".venv", ".nox", "src", "tests", "figures"} <= set(conf["exclude_patterns"])
    assert conf["nb_execution_raise_on_error"] is True
    assert conf["nb_execution_show_tb"] is True
    assert conf["nb_execution_mode"] in {"force", "auto"}
    assert isinstance(conf["nb_execution_timeout"], int) and conf["nb_execution_timeout"] > 0
    assert {"dollarmath", "amsmath", "colon_fence"} <= set(conf["myst_enable_extensions"])
    assert conf["numfig"] is True, "figures are referred to by {numref}"
    # SVG above text/html (priority 30 by default), so figures become <img> files.
    svg = [p for builder, mime, p in conf["nb_mime_priority_overrides"] if mime == "image/svg+xml"]
    assert svg and all(p is not None and p < 30 for p in svg)


def serve_ignores() -> list[re.Pattern[str]]:
    tree = ast.parse((ROOT / "noxfile.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "SERVE_IGNORE":
            root = re.escape(ROOT.resolve().as_posix())
            return [re.compile(p.replace("{root}", root)) for p in ast.literal_eval(node.value)]
    raise AssertionError("noxfile.py defines no SERVE_IGNORE")


@pytest.mark.parametrize(
    ("path", "ignored"),
    [
        ("book/tensors.md", False),
        ("book/convolution/backward.md", False),
        ("book/_static/book.css", False),
        ("src/minitorch/fast_conv.py", False),
        ("conf.py", False),
        ("_build/html/book/tensors.html", True),
        ("_build/jupyter_execute/book/tensors.ipynb", True),
        ("src/minitorch/__pycache__/fast_ops._tensor_map-290.py311.nbi", True),
        ("src/minitorch/__pycache__/tensor.cpython-311.pyc", True),
        ("src/minitorch.egg-info/PKG-INFO", True),
        ("book/.ipynb_checkpoints/tensors-checkpoint.ipynb", True),
        ("tests/test_book.py", True),
        ("figures/conv1d.svg", True),
        (".git/index", True),
        (".nox/docs/bin/python", True),
        ("noxfile.py", True),
    ],
)
def test_serve_rebuilds_on_sources_only(path: str, ignored: bool) -> None:
    """`nox -s serve` rebuilds on book/, src/ and conf.py, never on what a build writes."""
    # As the watcher reports it: inside the tree, a symlink not followed (a nox
    # environment's bin/python points outside the repository).
    absolute = (ROOT.resolve() / path).as_posix()
    assert any(p.search(absolute) for p in serve_ignores()) is ignored


def test_serve_watches_the_library() -> None:
    noxfile = (ROOT / "noxfile.py").read_text()
    serve = noxfile[noxfile.index("def serve(") :]
    serve = serve[: serve.index("\n@nox.session")]
    assert '"--watch", str(ROOT / "src")' in serve and "SERVE_IGNORE" in serve
