"""The book's Sphinx extension: the event handlers that conf.py registers by name.

``conf.py`` only configures; the code that runs during a build lives here, as
in the JAX and Sphinx documentation (``docs/sphinxext``). Four handlers:

- every page depends on the library's sources, so an edit in ``src/`` executes
  the pages again (``source-read``);
- each executed page is published as ``.ipynb`` for the download button
  (``html-page-context``);
- a docstring's reference to a re-exported name, a short name or a compiled
  kernel resolves to where it is documented (``missing-reference``);
- a build that fails ends with a short summary: the page, the failing cell's
  source and the error line, printed after Sphinx's own report so that it is
  the last thing on the screen (``build-finished``).
"""

from __future__ import annotations

import atexit
import importlib
import multiprocessing
import re
import shutil
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sphinx.application import Sphinx

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "minitorch"


def _source_files() -> list[str]:
    return sorted(str(p) for p in SRC.rglob("*.py"))


def depend_on_library(app: Sphinx, docname: str, source: list[str]) -> None:
    """Record every library source file as a dependency of each page.

    Pages execute library code, so an edit in src/ must re-execute them.
    Sphinx compares each dependency's mtime with the page's last read and
    re-reads (hence re-executes) the page when a dependency is newer.
    """
    for path in _source_files():
        app.env.note_dependency(path)


def offer_notebook_download(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Publish each executed page as .ipynb next to its source, for the download button.

    sphinx-book-theme offers an .ipynb download only when launch buttons
    (Binder, Colab) are configured; the book has none, so it publishes the
    notebook MyST-NB executed (outputs included) itself. Runs before the
    theme builds its header buttons (priority 501).
    """
    if doctree is None or "kernelspec" not in app.env.metadata.get(pagename, {}):
        return
    executed = Path(app.outdir).parent / "jupyter_execute" / f"{pagename}.ipynb"
    if not executed.is_file():
        return
    published = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    published.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(executed, published)
    context["ipynb_source"] = f"{pagename}.ipynb"


def _compiled_function(module_name: str | None, target: str) -> str | None:
    """The full name of the Python function behind a Numba dispatcher, if ``target`` is one."""
    if not module_name:
        return None
    obj: Any = importlib.import_module(module_name)
    for part in target.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    py_func = getattr(obj, "py_func", None)
    if py_func is None:
        return None
    return f"{py_func.__module__}.{py_func.__qualname__}"


def resolve_library_name(app: Sphinx, env: Any, node: Any, contnode: Any) -> Any:
    """Resolve a docstring's reference to a library object by where it is defined.

    Three forms that the Python domain does not resolve on its own:

    - a re-exported name, ``minitorch.manual_seed``: the API reference documents
      it once, in the module that defines it (``minitorch.rng.manual_seed``);
    - a short name from another module, ``Tensor.max`` in ``minitorch.nn``:
      resolved when exactly one documented object ends with that name;
    - a compiled kernel, ``tensor_conv1d = njit(...)(_tensor_conv1d)``:
      autodoc cannot document a Numba dispatcher, so the reference goes to the
      plain-Python function it compiles, which is documented.
    """
    if node.get("refdomain") != "py":
        return None
    domain = env.get_domain("py")
    target = node.get("reftarget", "")
    package, _, name = target.partition(".")
    if package == "minitorch" and name and "." not in name:
        obj = getattr(importlib.import_module(package), name, None)
        defined_in = getattr(obj, "__module__", None)
        if defined_in not in (None, package):
            target = f"{defined_in}.{name}"
    compiled = _compiled_function(node.get("py:module"), target)
    if compiled is not None:
        target = compiled
    reftype = node["reftype"]
    matches = domain.find_obj(env, node.get("py:module"), node.get("py:class"), target, reftype, 1)
    if len(matches) != 1:
        return None
    fullname, _ = matches[0]
    return domain.resolve_xref(env, node["refdoc"], app.builder, reftype, fullname, node, contnode)


# --- the summary of a failed build ------------------------------------------

# How long the kernels of finished workers get to finish printing before the summary.
SETTLE_SECONDS = 0.5
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_CELL = re.compile(
    r"An error occurred while executing the following cell:\n-+\n(.*?)\n-+\n", re.DOTALL
)
_PAGE = re.compile(r"ExecutionError: (\S+)")
_ERROR_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Warning|Interrupt|Exit)\b.*)$")


def failure_summary(error: BaseException, root: Path = ROOT) -> str:
    r"""A few lines that say where and why a build failed: page, cell source, error line.

    Works on the exception of a serial build (MyST-NB's ``ExecutionError``,
    caused by nbclient's ``CellExecutionError``) and of a parallel one (Sphinx's
    ``SphinxParallelError``, which carries the worker's traceback as text).

    >>> class ExecutionError(Exception): ...
    >>> cause = "An error occurred while executing the following cell:\n---\nx = 1 / 0\n---\n\nZeroDivisionError: division by zero\n"
    >>> error = ExecutionError(str(ROOT / "book" / "a.md"))
    >>> error.__cause__ = Exception(cause)
    >>> print(failure_summary(error))
    The book failed to build.
      page:  book/a.md
      cell:
        x = 1 / 0
      error: ZeroDivisionError: division by zero
    """
    text = "\n".join(
        str(part)
        for part in (getattr(error, "traceback", ""), error.__cause__ or "", error)
        if part
    )
    text = _ANSI.sub("", text)
    lines = ["The book failed to build."]
    page = _PAGE.search(f"{type(error).__name__}: {error}") or _PAGE.search(text)
    if page:
        path = Path(page.group(1))
        lines.append(f"  page:  {path.relative_to(root) if path.is_relative_to(root) else path}")
    cell = _CELL.search(text)
    if cell:
        lines.append("  cell:")
        lines.extend(f"    {line}" for line in cell.group(1).splitlines())
        after = text[cell.end() :].split("The above exception was the direct cause")[0]
        found = [m.group(1) for m in map(_ERROR_LINE.match, after.splitlines()) if m]
        lines.append(f"  error: {found[-1] if found else after.strip().splitlines()[-1]}")
    else:
        lines.append(f"  error: {type(error).__name__}: {error}")
    return "\n".join(lines)


def summarize_failure(app: Sphinx, error: Exception | None) -> None:
    """At the end of a failed build, print :func:`failure_summary` as the very last output."""
    if error is None:
        return
    summary = failure_summary(error, Path(app.srcdir))

    # Sphinx prints its own report after this event, and a parallel build's other
    # workers finish their pages (printing their logs, and their kernels' ZMQ
    # noise) while the process exits: print the summary last, once they are done.
    def print_summary() -> None:
        for worker in multiprocessing.active_children():
            worker.join()  # as multiprocessing's own exit handler would, after this one
        time.sleep(SETTLE_SECONDS)
        print(f"\n{summary}", file=sys.stderr, flush=True)

    atexit.register(print_summary)


def setup(app: Sphinx) -> dict[str, bool]:
    """Connect the handlers; Sphinx calls this for ``"minitorch_book"`` in ``extensions``."""
    app.connect("missing-reference", resolve_library_name)
    app.connect("source-read", depend_on_library)
    app.connect("html-page-context", offer_notebook_download)
    app.connect("build-finished", summarize_failure)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
