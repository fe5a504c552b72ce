"""Plots and images drawn with matplotlib as SVG: curves, bars, confusion matrices, pictures.

Diagrams of how an operation works (cells, windows, arrows) are drawn with
chalk in the other modules of this package; *data* (a loss curve, a bar chart
of timings, a confusion matrix, digits, learned filters) is plotted here with
matplotlib, the library readers already know, always with labelled axes.

Every function returns a :class:`Plot`, which a notebook shows as SVG only (so
MyST-NB writes it to a file and shows an ``<img>``, as for the diagrams). The
SVG is deterministic: no date, a fixed id salt, text kept as ``<text>``
elements on a white background (legible in a dark theme), at least 11 pt.
Every plot is at most 7 inches wide, so that a page column shows it at its
natural size, where 11 pt is about 15 CSS pixels.

matplotlib is used through its object interface (``matplotlib.figure.Figure``),
never ``pyplot``, so no global state or GUI backend is involved.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import matplotlib
import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.figure import Figure as MplFigure
from matplotlib.ticker import FuncFormatter, NullFormatter

from ..errors import ArgumentError, ShapeError

# The Okabe-Ito palette (as in the diagrams), readable with colour-vision deficiencies.
COLOURS = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9")
FONT_SIZE = 11.0
STYLE = {
    "font.size": FONT_SIZE,
    "axes.titlesize": FONT_SIZE + 1,
    "axes.labelsize": FONT_SIZE,
    "xtick.labelsize": FONT_SIZE,
    "ytick.labelsize": FONT_SIZE,
    "legend.fontsize": FONT_SIZE,
    "svg.fonttype": "none",
    "svg.hashsalt": "minitorch",
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "text.color": "#1a1a1a",
    "axes.labelcolor": "#1a1a1a",
    "xtick.color": "#1a1a1a",
    "ytick.color": "#1a1a1a",
}

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Plot:
    """A rendered plot: SVG text and its alt text, shown in a notebook as SVG only.

    >>> p = line_chart({"loss": [3.0, 2.0, 1.5]}, "epoch", "loss", alt="a falling loss")
    >>> p.svg.startswith("<?xml"), list(p._repr_mimebundle_()), "<title>a falling loss" in p.svg
    (True, ['image/svg+xml'], True)

    """

    svg: str
    alt: str

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, str]:
        return {"image/svg+xml": self.svg}

    def __repr__(self) -> str:
        return f"<Plot: {self.alt}>"


def _new(width: float, height: float) -> MplFigure:
    with matplotlib.rc_context(STYLE):
        return MplFigure(figsize=(width, height), layout="constrained")


def _render(figure: MplFigure, alt: str) -> Plot:
    """Write ``figure`` as SVG without metadata, with ``alt`` as its title."""
    buffer = io.StringIO()
    with matplotlib.rc_context(STYLE):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = buffer.getvalue()
    # The alt text as the SVG's <title>, as the diagrams carry theirs.
    opening = svg.index(">", svg.index("<svg")) + 1
    escaped = alt.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    svg = f"{svg[:opening]}\n <title>{escaped}</title>{svg[opening:]}"
    return Plot(svg, alt)


def _log_scale(axes: Axes) -> None:
    """A logarithmic vertical axis labelled 0.1, 1, ... in plain numbers.

    matplotlib's default writes powers of ten as superscripts, whose small
    exponents fall below the 11 pt this module keeps every text at.
    """
    axes.set_yscale("log")
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    axes.yaxis.set_minor_formatter(NullFormatter())


def line_chart(
    series: Mapping[str, Sequence[float] | tuple[Sequence[float], Sequence[float]]],
    x_label: str,
    y_label: str,
    *,
    alt: str,
    y_limits: tuple[float, float] | None = None,
    log_y: bool = False,
    size: tuple[float, float] = (6.4, 3.2),
) -> Plot:
    """One line per series on shared, labelled axes.

    Args:
        series: name to values (plotted at 1, 2, ...) or to ``(xs, ys)``.
        x_label: the horizontal axis's label.
        y_label: the vertical axis's label.
        alt: what the plot shows, in words.
        y_limits: the vertical range, or matplotlib's choice.
        log_y: a logarithmic vertical axis.
        size: width and height in inches.

    >>> line_chart({"a": ([0, 1], [1, 2])}, "x", "y", alt="a line").alt
    'a line'

    """
    if not series:
        raise ArgumentError("line_chart: got no series to plot")
    figure = _new(*size)
    with matplotlib.rc_context(STYLE):
        axes = figure.add_subplot()
        for n, (name, values) in enumerate(series.items()):
            if isinstance(values, tuple):
                xs, ys = values
            else:
                ys, xs = values, range(1, len(values) + 1)
            axes.plot(list(xs), list(ys), color=COLOURS[n % len(COLOURS)], label=name, lw=1.6)
        axes.set_xlabel(x_label)
        axes.set_ylabel(y_label)
        if log_y:
            _log_scale(axes)
        if y_limits is not None:
            axes.set_ylim(*y_limits)
        axes.grid(True, color="#dddddd", lw=0.6)
        if len(series) > 1:
            axes.legend(frameon=False)
    return _render(figure, alt)


def training_curves(
    batch_losses: Sequence[float],
    epoch_losses: Sequence[float],
    test_accuracies: Sequence[float],
    *,
    alt: str,
) -> Plot:
    """Loss of every mini-batch and each epoch's mean (left); test accuracy per epoch (right).

    Args:
        batch_losses: the loss of each mini-batch, in order.
        epoch_losses: the mean loss of each epoch.
        test_accuracies: the test accuracy after each epoch, in ``[0, 1]``.
        alt: what the plot shows, in words.

    >>> training_curves([2.3, 1.0, 0.5, 0.4], [1.6, 0.45], [0.8, 0.9], alt="training").alt
    'training'

    """
    epochs = len(epoch_losses)
    if epochs == 0 or len(test_accuracies) != epochs or len(batch_losses) < epochs:
        raise ShapeError(
            f"training_curves: need one loss and one accuracy per epoch and at least one batch "
            f"per epoch, got {len(batch_losses)} batches, {epochs} losses, "
            f"{len(test_accuracies)} accuracies"
        )
    per_epoch = len(batch_losses) / epochs
    figure = _new(6.8, 3.0)
    with matplotlib.rc_context(STYLE):
        loss_axes, accuracy_axes = figure.subplots(1, 2, width_ratios=(3, 2))
        steps = np.arange(1, len(batch_losses) + 1) / per_epoch
        loss_axes.plot(steps, batch_losses, color=COLOURS[5], lw=0.8, label="mini-batch")
        loss_axes.plot(
            np.arange(1, epochs + 1),
            epoch_losses,
            "o-",
            color=COLOURS[1],
            lw=1.6,
            label="epoch mean",
        )
        _log_scale(loss_axes)
        loss_axes.set_xlabel("epoch")
        loss_axes.set_ylabel("cross-entropy loss")
        loss_axes.legend(frameon=False)
        loss_axes.grid(True, color="#dddddd", lw=0.6)
        accuracy_axes.plot(
            np.arange(1, epochs + 1), 100 * np.asarray(test_accuracies), "o-", color=COLOURS[0]
        )
        accuracy_axes.set_xlabel("epoch")
        accuracy_axes.set_ylabel("test accuracy (%)")
        accuracy_axes.grid(True, color="#dddddd", lw=0.6)
    return _render(figure, alt)


def bar_chart(
    values: Mapping[str, float],
    value_label: str,
    *,
    alt: str,
    size: tuple[float, float] = (6.4, 2.6),
    number_format: str = "{:.3g}",
) -> Plot:
    """Horizontal bars, one per name, each with its value written at its end.

    >>> bar_chart({"a": 1.0, "b": 2.5}, "seconds", alt="two bars").alt
    'two bars'

    """
    if not values:
        raise ArgumentError("bar_chart: got no values to plot")
    figure = _new(*size)
    with matplotlib.rc_context(STYLE):
        axes = figure.add_subplot()
        names = list(values)[::-1]
        numbers = [values[name] for name in names]
        bars = axes.barh(names, numbers, color=COLOURS[0])
        axes.bar_label(bars, [number_format.format(v) for v in numbers], padding=3)
        axes.set_xlabel(value_label)
        axes.set_xlim(0, 1.18 * max(numbers))
        axes.spines[["top", "right"]].set_visible(False)
    return _render(figure, alt)


def confusion_matrix(
    truth: Sequence[int] | npt.NDArray[np.int64],
    predicted: Sequence[int] | npt.NDArray[np.int64],
    class_names: Sequence[str],
    *,
    alt: str,
) -> tuple[Plot, npt.NDArray[np.int64]]:
    """Count each (true class, predicted class) pair and draw the counts as a shaded grid.

    Returns:
        The plot and the matrix, ``counts[true, predicted]``.

    >>> plot, counts = confusion_matrix([0, 1, 1], [0, 1, 0], ["a", "b"], alt="counts")
    >>> counts.tolist()
    [[1, 0], [1, 1]]

    """
    truth = np.asarray(truth, dtype=np.int64)
    predicted = np.asarray(predicted, dtype=np.int64)
    if truth.shape != predicted.shape:
        raise ShapeError(
            f"confusion_matrix: {truth.shape[0]} true labels but {predicted.shape[0]} predictions"
        )
    classes = len(class_names)
    counts = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(counts, (truth, predicted), 1)
    figure = _new(5.0, 4.4)
    with matplotlib.rc_context(STYLE):
        axes = figure.add_subplot()
        # Shade by the logarithm, so that a handful of mistakes stands out next to
        # a diagonal of hundreds.
        axes.imshow(np.log1p(counts), cmap="Blues")
        high = np.log1p(counts.max())
        for (t, p), count in np.ndenumerate(counts):
            if count:
                dark = np.log1p(count) > 0.6 * high
                axes.text(
                    p,
                    t,
                    str(count),
                    ha="center",
                    va="center",
                    color="white" if dark else "#1a1a1a",
                )
        axes.set_xticks(range(classes), class_names)
        axes.set_yticks(range(classes), class_names)
        axes.set_xlabel("predicted digit")
        axes.set_ylabel("true digit")
    return _render(figure, alt), counts


def image_grid(
    images: npt.NDArray[np.float64],
    titles: Sequence[str],
    *,
    alt: str,
    columns: int = 8,
    diverging: bool = False,
    cell: float = 0.85,
) -> Plot:
    """Small images in a grid, each with a title: digits in grey, or weights in blue and red.

    Args:
        images: ``N x H x W`` values.
        titles: one title per image.
        alt: what the grid shows, in words.
        columns: images per row.
        diverging: weights (negative blue, positive red, 0 white, a shared scale)
            instead of ink on paper (0 white, 1 black).
        cell: the width of one image, in inches.

    >>> image_grid(np.zeros((3, 4, 4)), ["a", "b", "c"], alt="three blanks").alt
    'three blanks'

    """
    if images.ndim != 3 or len(titles) != images.shape[0] or images.shape[0] == 0:
        raise ShapeError(
            f"image_grid: need N x H x W images and N titles, got images {images.shape} "
            f"and {len(titles)} titles"
        )
    count = images.shape[0]
    columns = min(columns, count)
    rows = -(-count // columns)
    figure = _new(cell * columns, (cell + 0.3) * rows)
    with matplotlib.rc_context(STYLE):
        grid = figure.subplots(rows, columns, squeeze=False)
        scale = float(np.abs(images).max()) or 1.0
        for n, axes in enumerate(grid.flat):
            axes.set_axis_off()
            if n >= count:
                continue
            if diverging:
                axes.imshow(images[n], cmap="RdBu_r", vmin=-scale, vmax=scale)
            else:
                axes.imshow(images[n], cmap="gray_r", vmin=0.0, vmax=1.0)
            axes.set_title(titles[n], fontsize=FONT_SIZE)
    return _render(figure, alt)
