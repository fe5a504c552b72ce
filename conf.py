"""Sphinx configuration for the book: MyST-NB pages in book/, executed at every build.

Build with ``nox -s docs`` (or ``sphinx-build -b html -W --keep-going -n . _build/html``).
Every code cell runs; a cell that raises fails the build, which ends with a
summary naming its page, cell and error.

This file only configures. The code that runs during a build (event handlers)
is the extension ``minitorch_book`` in book/sphinxext/, registered by name below.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
# The book's own extension (book/sphinxext/minitorch_book.py) is imported by name.
sys.path.insert(0, str(ROOT / "book" / "sphinxext"))

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
    # The book's event handlers (book/sphinxext/minitorch_book.py).
    "minitorch_book",
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
    # The base of minitorch.simd.Vector, Numba's type of a value in compiled code.
    ("py:class", r"numba\..*"),
]
# IPython's display protocol, which Figure implements; documented by IPython.
nitpick_ignore = [
    ("py:meth", "_repr_mimebundle_"),
    # The private bases the convolution layers share (PyTorch's names for them too).
    ("py:class", "minitorch.modules._ConvNd"),
    ("py:class", "minitorch.modules._ConvTransposeNd"),
]
