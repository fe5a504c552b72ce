"""Every task of the project, one nox session each (`nox -l` lists them).

Environments are reused between runs and installed with uv when it is there,
so a second `nox -s tests` spends its time on the tests, not on installing.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["tests", "lint"]

ROOT = Path(__file__).parent
BUILD = ROOT / "_build"
HTML = BUILD / "html"

# Numba gets two threads per process; the book executes pages in parallel (-j auto).
THREADS = {
    "NUMBA_NUM_THREADS": "2",
    "OMP_NUM_THREADS": "1",
    # Idle OpenMP threads sleep instead of spinning: on a busy 2-core machine a
    # spinning worker measured 100x slower on small convolutions.
    "OMP_WAIT_POLICY": "PASSIVE",
    # The same for OpenBLAS (NumPy's matmul): its idle threads spin for about 2^28
    # cycles after each product by default, and a Numba convolution that ran right
    # after a 300 x 300 NumPy product took 8.5 ms instead of 4.8 (2-core AMD EPYC).
    # 2^4 cycles (the least it takes) puts them to sleep at once.
    "OPENBLAS_THREAD_TIMEOUT": "4",
    "PYTHONHASHSEED": "0",
}


def _install(session: nox.Session, *extras: str) -> None:
    """Install the project editable with the given extras (a no-op when up to date).

    Packages are byte-compiled as they are installed (pip does it, uv only when
    asked). Where Python may not write bytecode (PYTHONDONTWRITEBYTECODE=1, as on
    this project's machines), every process would otherwise compile NumPy, Numba
    and SciPy from source again: 2-3 s at the start of each test worker, each
    subprocess a test starts and each page of the book.
    """
    spec = f".[{','.join(extras)}]" if extras else "."
    session.install("-e", spec, env={"UV_COMPILE_BYTECODE": "1"})


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite and the doctests of every module in src/ and book/."""
    _install(session, "test")
    session.run("pytest", "-n", "2", "--dist", "loadfile", *session.posargs, env=THREADS)


@nox.session
def lint(session: nox.Session) -> None:
    """Check style with ruff, types with mypy, and that src/ imports only declared dependencies."""
    _install(session, "lint")
    paths = ("src", "tests", "noxfile.py", "conf.py", "book/sphinxext")
    session.run("ruff", "check", *paths)
    session.run("ruff", "format", "--check", *paths)
    session.run("mypy")
    # deptry: an import in src/ that no dependency of pyproject.toml provides fails.
    session.run("deptry", "src")


@nox.session(venv_backend="virtualenv")
def bench(session: nox.Session) -> None:
    """Time the kernels against NumPy (and PyTorch where installed) in one run."""
    _install(session, "data")
    # PyTorch's CPU build is an optional peer: take it only where a local wheel
    # exists, never the multi-gigabyte CUDA build from the registry. The "+cpu"
    # version exists only as such a wheel (pip's find-links); its small
    # dependencies come from the registry, which --no-index would refuse.
    if os.environ.get("MINITORCH_BENCH_TORCH", "1") == "1":
        session.install("-q", "torch==2.13.0+cpu", success_codes=[0, 1])
    session.run("python", "tests/bench/run.py", *session.posargs, env=THREADS)


def _sphinx_args(builder: str = "html") -> list[str]:
    # -W: a warning (a broken reference, a stray stderr line in a cell) fails the
    # build; -T: a failing cell's page, source and traceback are printed in full;
    # -j auto: pages execute in parallel, one kernel per core (2 cores: 64 s -> 43 s).
    return ["-b", builder, "-W", "--keep-going", "-n", "-T", "-j", "auto", str(ROOT), str(HTML)]


# What `serve` does not watch, as regular expressions over absolute paths.
# Only book/, src/ and conf.py are sources: a change to tests/, figures/, .git,
# .venv or _build must not rebuild the book, nor must the files a build writes
# among the sources (Numba's cache in __pycache__, executed notebooks), or
# serve would rebuild forever.
SERVE_IGNORE = (
    r"^{root}/(?!book/|src/|conf\.py$)",
    # In src/ only Python sources count (not the .egg-info an install writes).
    r"^{root}/src/.*(?<!\.py)$",
    r"/__pycache__/",
    r"\.nb[ic]$",
    r"/\.ipynb_checkpoints/",
    r"/jupyter_execute/",
)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the book into _build/html, executing the pages that changed.

    Only pages whose source changed, or that depend on a changed file of
    src/minitorch, are read and executed again; `-- --clean` starts from nothing.
    """
    _install(session, "book")
    if "--clean" in session.posargs:
        shutil.rmtree(BUILD, ignore_errors=True)
    session.run("sphinx-build", *_sphinx_args(), env=THREADS)
    session.log(f"The book is at {HTML / 'index.html'}")


@nox.session
def serve(session: nox.Session) -> None:
    """Preview the book with live reload; edits to book/ or src/ rebuild it."""
    _install(session, "serve")
    root = re.escape(ROOT.resolve().as_posix())
    ignores = [
        arg for pattern in SERVE_IGNORE for arg in ("--re-ignore", pattern.replace("{root}", root))
    ]
    # The session's arguments go on to sphinx-autobuild (`nox -s serve -- --port 8765
    # --open-browser`); without a --port of its own it serves on $PORT, else 8000.
    given = any(arg == "--port" or arg.startswith("--port=") for arg in session.posargs)
    port = [] if given else ["--port", os.environ.get("PORT", "8000")]
    session.run(
        "sphinx-autobuild",
        *_sphinx_args(),
        *("--watch", str(ROOT / "src")),
        *ignores,
        *port,
        *session.posargs,
        env=THREADS,
    )


@nox.session
def figures(session: nox.Session) -> None:
    """Regenerate every registered figure into figures/<name>.svg."""
    _install(session, "figures")
    session.run("python", "-m", "minitorch.drawing.regenerate", str(ROOT / "figures"), env=THREADS)


@nox.session
def browser(session: nox.Session) -> None:
    """Build the book if needed, serve it on localhost and check every page in Chromium.

    The build is Sphinx's incremental one (as in `docs`): nothing runs again when
    the book is up to date. Chromium is Debian's (`.ci/install-chromium.sh`);
    screenshots of the convolution chapter go to _build/screenshots.
    `-- -k checker` runs only the checker's own tests on tiny generated sites.
    """
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not Path(chromium).is_file():
        session.error(f"no Chromium at {chromium}: run .ci/install-chromium.sh (apt) first")
    _install(session, "book", "browser", "test")
    session.run("sphinx-build", *_sphinx_args(), env=THREADS)
    # tests/browser is outside the default test paths (norecursedirs): named here.
    session.run(
        "pytest",
        "tests/browser",
        "-p",
        "no:xdist",
        "-rfE",
        *session.posargs,
        env=THREADS
        | {
            "CHROMIUM": chromium,
            "MINITORCH_SITE": str(HTML),
            "MINITORCH_SCREENSHOTS": str(BUILD / "screenshots"),
        },
    )
