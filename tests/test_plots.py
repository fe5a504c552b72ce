"""Tests of minitorch.drawing.plots: deterministic, legible SVG plots with labelled axes."""

from __future__ import annotations

import re

import numpy as np
import pytest

from minitorch import ShapeError
from minitorch.drawing import plots


def curves() -> plots.Plot:
    return plots.training_curves(
        list(np.linspace(2.3, 0.1, 40)), [1.5, 0.6, 0.3, 0.1], [0.9, 0.95, 0.97, 0.98], alt="t"
    )


def test_svg_is_deterministic_titled_and_svg_only() -> None:
    first, second = curves(), curves()
    assert first.svg == second.svg
    assert "<title>t</title>" in first.svg and "<dc:date>" not in first.svg
    assert list(first._repr_mimebundle_()) == ["image/svg+xml"]


@pytest.mark.parametrize(
    "plot",
    [
        curves,
        lambda: plots.confusion_matrix([0, 1, 2], [0, 2, 2], ["a", "b", "c"], alt="c")[0],
        lambda: plots.image_grid(np.zeros((16, 8, 8)), [str(i) for i in range(16)], alt="g"),
        lambda: plots.bar_chart({"x": 1.0, "y": 2.0}, "seconds", alt="b"),
        lambda: plots.line_chart({"a": [1.0, 2.0], "b": [2.0, 1.0]}, "x", "y", alt="l"),
    ],
)
def test_plots_fit_a_column_with_text_at_least_11_pt(plot) -> None:
    svg = plot().svg
    width = float(re.search(r'<svg[^>]* width="([\d.]+)pt"', svg).group(1))
    assert width <= 7 * 72 + 1  # at most 7 inches: shown unscaled in a page column
    sizes = [float(s) for s in re.findall(r"font-size:\s*([\d.]+)px", svg)]
    assert sizes and min(sizes) >= 11.0
    assert 'fill="#ffffff"' in svg or "fill: #ffffff" in svg  # a white page, in dark mode too


def test_axes_are_labelled() -> None:
    svg = curves().svg
    for text in ("epoch", "cross-entropy loss", "test accuracy (%)"):
        assert f">{text}<" in svg.replace("\n", "")


def test_confusion_matrix_counts_pairs() -> None:
    truth = np.array([0, 0, 1, 1, 1, 2])
    predicted = np.array([0, 1, 1, 1, 2, 2])
    _, counts = plots.confusion_matrix(truth, predicted, ["0", "1", "2"], alt="c")
    assert counts.tolist() == [[1, 1, 0], [0, 2, 1], [0, 0, 1]]
    assert counts.sum() == len(truth) and np.trace(counts) == np.sum(truth == predicted)


def test_bad_inputs_raise_typed_errors() -> None:
    with pytest.raises(ShapeError, match="3 true labels but 2 predictions"):
        plots.confusion_matrix([0, 1, 1], [0, 1], ["a", "b"], alt="c")
    with pytest.raises(ShapeError, match="image_grid: need N x H x W images and N titles"):
        plots.image_grid(np.zeros((2, 4, 4)), ["only one"], alt="g")
    with pytest.raises(ShapeError, match="one loss and one accuracy per epoch"):
        plots.training_curves([1.0, 0.5], [1.0, 0.5], [0.9], alt="t")
