"""Sphinx configuration for the book: MyST-NB pages in book/, executed at every build.

Build with ``nox -s docs`` (or ``sphinx-build -b html -W --keep-going -n . _build/html``).
Every code cell runs; a cell that raises fails the build and names its page and cell.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

ROOT = Path(__file__).resolve().parent
SRC = ROOT / "src" / "minitorch"

# Each page's kernel gives Numba two threads (`sphinx-build -j auto` runs pages
# side by side). Kernels inherit these, so a bare sphinx-build acts like `nox -s docs`.
os.environ.setdefault("NUMBA_NUM_THREADS", "2")
os.environ.setdefault("OMP_NUM_THREADS", "1")

project = "MiniTorch: convolution from the ground up"
author = "The MiniTorch book authors"
copyright = "2025, the MiniTorch book authors"

root_doc = "book/index"
# Only book/ is a source tree; src/, tests/, figures/, README and build outputs are not pages.
include_patterns = ["book/**"]
exclude_patterns = [
    "_build",
    ".venv",
    ".nox",
    "src",
    "tests",
    "figures",
    "README.md",
    "NOTES.md",
    "**/jupyter_execute",
    "**/.ipynb_checkpoints",
    "**/.jupyter_cache",
]

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx_copybutton",
    "sphinx_design",
]

# --- MyST and MyST-NB -------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3
# Figures are numbered so that the text can refer to them with {numref}.
numfig = True
numfig_format = {"figure": "Figure %s"}

# "force" executes a page each time Sphinx reads it; Sphinx re-reads only pages
# whose source changed (or whose recorded dependencies did, see below), so a
# rebuild executes only what changed.
nb_execution_mode = "force"
nb_execution_timeout = 180
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_execution_allow_errors = False
# Each page runs in a fresh temporary directory: nothing a cell writes lands in
# book/, where `nox -s serve` would take it for an edit and rebuild.
nb_execution_in_temp = True
# Anything a cell prints to stderr (a stray warning) is a build warning, hence an error.
nb_output_stderr = "warn"
nb_merge_streams = True
# Figures return only SVG; MyST-NB would prefer text/html and inline the XML.
# Written out as files they become <img> tags, so two figures never share ids.
nb_mime_priority_overrides = [
    ("html", "image/svg+xml", 5),
    ("dirhtml", "image/svg+xml", 5),
]

# --- HTML -------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = "MiniTorch: convolution from the ground up"
# MathJax is served from the site itself (the files ship in the sphinx-mathjax-offline
# package), so formulas render offline too; the default loads it from a CDN.
_MATHJAX_STATIC = Path(importlib.util.find_spec("sphinx-mathjax-offline").origin).parent / "static"
mathjax_path = "mathjax/tex-chtml.js"
html_static_path = ["book/_static", str(_MATHJAX_STATIC)]
html_css_files = ["book.css"]
html_last_updated_fmt = None
# A first-time reader has no stored light/dark choice: follow the system's. Left
# empty, the theme logs "Got invalid theme mode" to the console on every page.
html_context = {"default_mode": "auto"}
# The site's root redirects to the book's first page (root_doc lives in book/).
html_extra_path = ["book/_extra"]
html_theme_options = {
    "use_download_button": True,
    "use_fullscreen_button": True,
    "show_toc_level": 2,
    "home_page_in_toc": True,
    "navigation_with_keys": False,
}
copybutton_prompt_text = r">>> |\.\.\. "
copybutton_prompt_is_regexp = True
copybutton_exclude = ".linenos, .gp, .go"

# --- API reference ----------------------------------------------------------
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False

# Nitpicky mode resolves every type in a signature. There is no internet, so no
# intersphinx: names from NumPy and the standard library have no target here.
nitpick_ignore_regex = [
    ("py:class", r"(numpy|np|npt)\..*"),
    ("py:class", r"(collections\.)?abc\..*"),
    ("py:class", r"pathlib\..*"),
    # The figures' third-party types: chalk diagrams, colour colours, Pillow images.
    ("py:class", r"(chalk|colour|PIL)\..*"),
]
# IPython's display protocol, which Figure implements; documented by IPython.
nitpick_ignore = [("py:meth", "_repr_mimebundle_")]


def _source_files() -> list[str]:
    return sorted(str(p) for p in SRC.rglob("*.py"))


def _depend_on_library(app: Sphinx, docname: str, source: list[str]) -> None:
    """Record every library source file as a dependency of each page.

    Pages execute library code, so an edit in src/ must re-execute them.
    Sphinx compares each dependency's mtime with the page's last read and
    re-reads (hence re-executes) the page when a dependency is newer.
    """
    for path in _source_files():
        app.env.note_dependency(path)


def _offer_notebook_download(
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


def _resolve_library_name(app: Sphinx, env: Any, node: Any, contnode: Any) -> Any:
    """Resolve a docstring's reference to a library object by where it is defined.

    Two forms that the Python domain does not resolve on its own:

    - a re-exported name, ``minitorch.manual_seed``: the API reference documents
      it once, in the module that defines it (``minitorch.rng.manual_seed``);
    - a short name from another module, ``Tensor.max`` in ``minitorch.nn``:
      resolved when exactly one documented object ends with that name;
    - a compiled kernel, ``tensor_conv1d = numba.njit(...)(_tensor_conv1d)``:
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


def setup(app: Sphinx) -> dict[str, bool]:
    app.connect("missing-reference", _resolve_library_name)
    app.connect("source-read", _depend_on_library)
    app.connect("html-page-context", _offer_notebook_download)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
