"""Write every registered figure to ``DIR/<name>.svg``: ``python -m minitorch.drawing.regenerate DIR``.

The output is deterministic (seeded data, rounded numbers), so a second run
rewrites the same bytes. With ``--check`` nothing is written: the command
lists the figures whose file differs and exits with status 1 if any does.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .figures import REGISTRY, figure


def regenerate(directory: Path, check: bool = False) -> list[str]:
    """Render every figure into ``directory``; returns the names whose file changed.

    Args:
        directory: where ``<name>.svg`` files go (created if missing).
        check: compare only, write nothing.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     first = regenerate(Path(d))
    ...     second = regenerate(Path(d))
    >>> len(first) == len(REGISTRY), second
    (True, [])

    """
    if not check:
        directory.mkdir(parents=True, exist_ok=True)
    changed = []
    for name in REGISTRY:
        svg = figure(name).svg
        path = directory / f"{name}.svg"
        old = path.read_text(encoding="utf-8") if path.exists() else None
        if old != svg:
            changed.append(name)
            if not check:
                path.write_text(svg, encoding="utf-8")
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and regenerate (or check) the figures."""
    parser = argparse.ArgumentParser(
        prog="python -m minitorch.drawing.regenerate", description=__doc__.splitlines()[0]
    )
    parser.add_argument("directory", type=Path, help="where to write <name>.svg")
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 on change")
    args = parser.parse_args(argv)
    changed = regenerate(args.directory, args.check)
    verb = "differ" if args.check else "rewritten"
    print(f"{len(REGISTRY)} figures, {len(changed)} {verb}: {', '.join(changed) or 'none'}")
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
