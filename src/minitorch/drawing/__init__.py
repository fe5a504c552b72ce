"""The book's figures, drawn with chalk from tensors the library computes.

chalk is imported only inside this package (install the ``figures`` extra).
Each figure is one function listed in :data:`minitorch.drawing.figures.REGISTRY`;
the book, the tests and ``python -m minitorch.drawing.regenerate DIR`` all
call the same functions.

>>> from minitorch.drawing import figure
>>> figure("conv1d").alt.startswith("1D convolution")
True

Any small tensor can also be shown as a diagram with :func:`show_tensor`.
"""

from .figures import REGISTRY, Figure, figure, show_tensor

__all__ = ["REGISTRY", "Figure", "figure", "show_tensor"]
