"""The book's Sphinx extension: the summary that ends a failed build, and its registration."""

from __future__ import annotations

import ast
import doctest
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "book" / "sphinxext"))

import minitorch_book  # noqa: E402

CELL_ERROR = """An error occurred while executing the following cell:
------------------
x = minitorch.tensor([1.0, 2.0])
x.view(3)
------------------


\x1b[0;31m---------------------------------------------------------------------------\x1b[0m
\x1b[0;31mShapeError\x1b[0m                                Traceback (most recent call last)
Cell \x1b[0;32mIn[3], line 2\x1b[0m
\x1b[0;32m----> 2\x1b[0m x\x1b[38;5;241m.\x1b[39mview(\x1b[38;5;241m3\x1b[39m)
\x1b[0;31mShapeError\x1b[0m: view: cannot view a tensor of shape (2,) (2 elements) as shape (3,) (3 elements)
"""

EXPECTED = """The book failed to build.
  page:  book/tensors.md
  cell:
    x = minitorch.tensor([1.0, 2.0])
    x.view(3)
  error: ShapeError: view: cannot view a tensor of shape (2,) (2 elements) as shape (3,) (3 elements)"""


class ExecutionError(Exception):
    """As MyST-NB raises it: the page's path, caused by nbclient's CellExecutionError."""


class SphinxParallelError(Exception):
    """As Sphinx raises it from a parallel build: the worker's message and traceback as text."""

    def __init__(self, message: str, traceback: str) -> None:
        self.message = message
        self.traceback = traceback

    def __str__(self) -> str:
        return self.message


def test_a_serial_build_failure_is_summarized_as_page_cell_and_error() -> None:
    error = ExecutionError(str(ROOT / "book" / "tensors.md"))
    error.__cause__ = Exception(CELL_ERROR)
    assert minitorch_book.failure_summary(error, ROOT) == EXPECTED


def test_a_parallel_build_failure_is_summarized_from_the_workers_traceback() -> None:
    # Before: the cell and its error were buried among "Sphinx parallel build
    # error!", ZMQ tracebacks and kernel warnings, with nothing after them.
    page = ROOT / "book" / "tensors.md"
    traceback = (
        "Traceback (most recent call last):\n  File ...\nnbclient.exceptions.CellExecutionError: "
        + CELL_ERROR
        + "\nThe above exception was the direct cause of the following exception:\n\n"
        + f"Traceback (most recent call last):\n  File ...\nmyst_nb.core.execute.base.ExecutionError: {page}\n"
    )
    error = SphinxParallelError(f"myst_nb.core.execute.base.ExecutionError: {page}", traceback)
    assert minitorch_book.failure_summary(error, ROOT) == EXPECTED


def test_any_other_failure_still_names_the_error() -> None:
    summary = minitorch_book.failure_summary(RuntimeError("theme not found"), ROOT)
    assert summary.splitlines() == [
        "The book failed to build.",
        "  error: RuntimeError: theme not found",
    ]


def test_conf_registers_the_extension_by_name_and_defines_no_handlers() -> None:
    tree = ast.parse((ROOT / "conf.py").read_text())
    assert not [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    extensions = next(
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "extensions"
    )
    assert "minitorch_book" in ast.literal_eval(extensions)
    connected = ast.unparse(ast.parse(Path(minitorch_book.__file__).read_text()))
    for event in ("missing-reference", "source-read", "html-page-context", "build-finished"):
        assert f"app.connect('{event}'" in connected


def test_the_extensions_doctests_run() -> None:
    result = doctest.testmod(minitorch_book)
    assert result.attempted > 0 and result.failed == 0
