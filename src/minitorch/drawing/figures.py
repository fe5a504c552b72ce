"""The registry of the book's figures, and :func:`figure`, the one way to show one.

``REGISTRY`` maps each figure's name to its drawing function and its alt
text. The book calls ``figure("name")`` in a cell, the tests compare each
figure with ``figures/<name>.svg``, and ``python -m minitorch.drawing.regenerate``
rewrites those files: all three go through the same functions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, NamedTuple

from ..errors import ArgumentError
from ..tensor import Tensor
from . import convolutions, general, tensors
from .canvas import (
    MUTED,
    SMALL,
    Drawn,
    Index,
    Tint,
    concat,
    label,
    name_above,
    name_left,
    tensor_block,
)
from .svg import render_svg


class Entry(NamedTuple):
    """A registered figure: the function that draws it, and what it shows in words."""

    function: Callable[[], Drawn[Any]]
    alt: str


REGISTRY: dict[str, Entry] = {
    "strides": Entry(
        tensors.draw_strides,
        "A storage of six numbers and two views of it: a 2 x 3 tensor t with strides (3, 1) "
        "and t.permute(1, 0), a 3 x 2 tensor with strides (1, 3). Arrows show that t[1, 2] "
        "and the permuted [2, 1] both sit at storage position 5, and t[0, 1] and [1, 0] at 1.",
    ),
    "broadcast": Entry(
        tensors.draw_broadcast,
        "Broadcasting a column a of shape (3, 1) and a row b of shape (4,) to a 3 x 4 sum. "
        "Repeated values are dashed: they are read again, not stored. The cell c[2, 1] = 23 "
        "comes from a[2, 0] = 3 and b[1] = 20.",
    ),
    "autodiff_graph": Entry(
        tensors.draw_autodiff_graph,
        "The computation graph of (x * y + x).sum(0), found by walking the result's history: "
        "x and y feed Mul, Mul and x feed Add, Add feeds Sum. Below the leaves, their "
        "gradients: x.grad = [4, 5] = y + 1, y.grad = [1, 2] = x.",
    ),
    "tile": Entry(
        tensors.draw_tile,
        "A 4 x 4 image of the numbers 1 to 16 cut into four coloured 2 x 2 tiles; nn.tile "
        "turns each tile into a row of four numbers, and the mean of each row gives the "
        "2 x 2 average-pooled image 3.5, 5.5, 11.5, 13.5.",
    ),
    "conv": Entry(
        convolutions.draw_conv,
        "A 5 x 5 image with three coloured 2 x 2 windows, one 2 x 2 weight, and the 5 x 5 "
        "output: each window, multiplied by the same weight and summed, gives the output cell "
        "of its colour, with each sum written out below.",
    ),
    "conv1d": Entry(
        convolutions.draw_conv1d,
        "1D convolution of the input 1 to 6 with the weight [5, 2, 3]: the window of output "
        "cell 4 covers input positions 4, 5 and 6, where position 6 lies past the edge and "
        "reads 0, so output[4] = 5×5 + 2×6 + 3×0 = 37. The output is 18, 28, 38, 48, 37, 30.",
    ),
    "convvec": Entry(
        convolutions.draw_convvec,
        "The input 1 to 6 unrolled into a 6 x 3 matrix whose row t is the window starting at "
        "t, zeros past the end dashed; the matrix times the weight column [5, 2, 3] gives the "
        "output column 18, 28, 38, 48, 37, 30. Row 4, [5, 6, 0], gives 37.",
    ),
    "conv1dback": Entry(
        convolutions.draw_conv1dback,
        "The input gradient of a 1D convolution as a convolution anchored on the right: "
        "grad_input[2] takes d[0], d[1] and d[2] with the reversed weight [3, 2, 5], "
        "grad_input[2] = w[0]·d[2] + w[1]·d[1] + w[2]·d[0] = 11; zeros stand before d[0].",
    ),
    "conv1dback2": Entry(
        convolutions.draw_conv1dback2,
        "The weight gradient of a 1D convolution: grad_weight[1] multiplies the input shifted "
        "by one, input[1] to input[6] (the last a zero past the edge), with d[0] to d[5] and "
        "sums, giving 10; the weight gradient is [13, 10, 27].",
    ),
    "channels": Entry(
        convolutions.draw_channels,
        "A 1D convolution with in_channels = 2, out_channels = 3, K = 3 and T = 8: a 2 x 8 "
        "input, three 2 x 3 weights and a 3 x 8 output. Output cell [1, 2] reads the window "
        "of both input channels at positions 2 to 4 with weight[1].",
    ),
    "backward": Entry(
        convolutions.draw_backward,
        "The input gradient of a 2D convolution as a convolution anchored bottom-right: the "
        "upstream gradient d padded with zeros above and left, a 3 x 3 window ending at "
        "(1, 2), the flipped 3 x 3 weight, and the 4 x 4 grad_input with cell [1, 2] = 6.",
    ),
    "conv2": Entry(
        convolutions.draw_conv2,
        "A 2D convolution with channels: a 2 x 4 x 4 input, a 3 x 2 x 2 x 2 weight drawn as "
        "three stacks, and a 3 x 4 x 4 output. Output cell [1, 1, 2] reads the same 2 x 2 "
        "window in both input channels with weight[1].",
    ),
    "networkcnn": Entry(
        convolutions.draw_networkcnn,
        "The digits page's DigitsCNN, seeded and untrained, on an 8 x 8 training image of a 4, "
        "each stage drawn as 3 of its channel maps with its shape below: conv1 and ReLU give 12 "
        "channels of 8 x 8 (1, 12, 8, 8), max_pool2d 2 gives (1, 12, 4, 4), conv2 and ReLU 48 "
        "channels (1, 48, 4, 4), max_pool2d 2 (1, 48, 2, 2), flatten 192 features, and "
        "dropout and the linear layer out ten class scores (1, 10).",
    ),
    "conv_options": Entry(
        general.draw_conv_options,
        "Three panels on the input 1 to 7 and the weight [5, 2, 3]. padding=1: zeros on both "
        "sides, output 0 reads the zero, 1 and 2, giving 8, and the output keeps length 7. "
        "stride=2: output 1 reads positions 2 to 4, giving 38, and the output has length 3. "
        "dilation=2: output 1 reads positions 1, 3 and 5, giving 36, length 3.",
    ),
    "receptive_field": Entry(
        general.draw_receptive_field,
        "Three stacked 1D convolutions, kernel 3 with strides 1, 2 and 1, on an input of 16: "
        "layers of 14, 6 and 4 cells. One top cell depends on 3 cells of the layer below, 7 "
        "of the first layer and 9 cells of the input, its receptive field.",
    ),
    "groups": Entry(
        general.draw_groups,
        "Which of 6 input channels each of 6 output channels reads, as a 6 x 6 grid: with "
        "groups=1 every cell (36 weights), with groups=2 two 3 x 3 blocks on the diagonal "
        "(18 weights), with groups=6 (depthwise) only the diagonal (6 weights).",
    ),
    "zero_insertion": Entry(
        general.draw_zero_insertion,
        "The input gradient of a stride-2 convolution: grad_output d = [1, -1, 2] with a zero "
        "inserted between its cells and two zeros on each side; the reversed weight [3, 2, 5] "
        "over d[1], a zero and d[2] gives grad_input[4] = 3×(-1) + 2×0 + 5×2 = 7.",
    ),
}


@dataclass(frozen=True)
class Figure:
    """A drawn figure: shown in a notebook as SVG only, with its facts.

    IPython shows it through :meth:`_repr_mimebundle_`, which offers only
    ``image/svg+xml``: with no ``text/html`` to prefer, MyST-NB writes the SVG
    to a file and shows it as an ``<img>``.

    >>> f = figure("strides")
    >>> f.name, f.svg.startswith("<?xml"), list(f._repr_mimebundle_())
    ('strides', True, ['image/svg+xml'])
    """

    name: str
    alt: str
    drawn: Drawn[Any]

    @property
    def facts(self) -> Any:
        """The numbers and indices the figure highlights, as the library computed them."""
        return self.drawn.facts

    @cached_property
    def svg(self) -> str:
        """The SVG text, the same that ``regenerate`` writes to ``figures/<name>.svg``."""
        return render_svg(self.drawn.diagram, self.alt)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"image/svg+xml": self.svg}

    def __repr__(self) -> str:
        return f"<Figure {self.name}: {self.alt}>"


def figure(name: str) -> Figure:
    """Draw the registered figure ``name``.

    Args:
        name: a key of :data:`REGISTRY`.

    Raises:
        ArgumentError: for a name that is not registered.

    >>> figure("conv1d").facts.window
    (4, 5, 6)
    >>> figure("conv3d")
    Traceback (most recent call last):
    ...
    minitorch.errors.ArgumentError: figure: no figure named 'conv3d'; registered: autodiff_graph, backward, broadcast, channels, conv, conv1d, conv1dback, conv1dback2, conv2, conv_options, convvec, groups, networkcnn, receptive_field, strides, tile, zero_insertion

    """
    if name not in REGISTRY:
        known = ", ".join(sorted(REGISTRY))
        raise ArgumentError(f"figure: no figure named {name!r}; registered: {known}")
    function, alt = REGISTRY[name]
    return Figure(name, alt, function())


def show_tensor(
    t: Tensor,
    alt: str,
    name: str | None = None,
    tints: dict[Index, Tint] | None = None,
) -> Figure:
    """Draw any small tensor as a figure: a row (1D), a grid (2D) or channels (3D).

    For a page that shows a tensor as a diagram rather than as printed
    numbers. The result displays like a registered figure (SVG only); its
    facts are the tensor's values.

    Args:
        t: a tensor of 1, 2 or 3 dimensions.
        alt: what the picture shows, in words.
        name: a name written to the left (and the shape above).
        tints: highlight colours by index, e.g. ``{(0, 1): ORANGE}``.

    Raises:
        ShapeError: for a tensor of another number of dimensions.

    >>> from minitorch import tensor
    >>> from minitorch.drawing.canvas import ORANGE
    >>> pic = show_tensor(tensor([[1, 2], [3, 4]]), "a 2 x 2 grid", "x", {(1, 1): ORANGE})
    >>> pic.facts, "<title>a 2 x 2 grid</title>" in pic.svg
    (((1.0, 2.0), (3.0, 4.0)), True)

    """
    block = tensor_block(t, 0, 0, tints)
    parts = [block.diagram, name_above(" x ".join(map(str, t.shape)), block, SMALL)]
    if t.dims == 3:
        # Each channel is named by its first index, [0], [1], ..., in the margin.
        for c in range(t.shape[0]):
            top = block.corners[(c, 0, 0)][1]
            middle = top + t.shape[1] / 2
            parts.append(label(f"[{c}]", -0.45, middle, SMALL, MUTED))
    if name is not None:
        parts.append(name_left(name, block, gap=1.0 if t.dims == 3 else 0.3))
    return Figure("tensor", alt, Drawn(concat(parts), _frozen(t.to_numpy().tolist())))


def _frozen(values: Any) -> Any:
    """Nested lists as nested tuples (hashable, and printed like the figures' other facts)."""
    return tuple(_frozen(v) for v in values) if isinstance(values, list) else values
