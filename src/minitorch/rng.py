"""The library's random numbers: one seedable NumPy generator.

``rand``, ``dropout`` and parameter initialisation all draw from here, so
``manual_seed`` makes a whole run repeatable.
"""

from __future__ import annotations

import numpy as np


class _State:
    generator: np.random.Generator = np.random.default_rng(0)


def manual_seed(seed: int) -> None:
    """Reset the library's random generator to ``seed``.

    >>> manual_seed(3); a = generator().random()
    >>> manual_seed(3); a == generator().random()
    True
    """
    _State.generator = np.random.default_rng(seed)


def generator(seed: int | None = None) -> np.random.Generator:
    """Return a fresh generator for ``seed``, or the shared one when ``seed`` is None.

    >>> generator(1).random() == generator(1).random()
    True
    """
    if seed is not None:
        return np.random.default_rng(seed)
    return _State.generator
