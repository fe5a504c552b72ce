"""Meaning tests for the general-convolution figures (src/minitorch/drawing/general.py).

Each figure computes the cells it highlights from the indexing rule; here the
same cells are recovered from what the library computes: an input cell is in
an output's window exactly when the gradient of that output with respect to it
is non-zero (the weights and inputs are chosen with no zeros, so no product
cancels). The committed fixtures are compared in tests/test_figures.py.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

import minitorch
from minitorch.autodiff import central_difference
from minitorch.drawing import figure
from minitorch.drawing.general import INPUT, WEIGHT, receptive_field, transposed_gradient


@functools.cache
def facts(name: str):
    return figure(name).facts


def depends_on(output: int, stride: int, padding: int, dilation: int) -> tuple[int, ...]:
    """The input cells whose gradient from ``output[output]`` is non-zero (autodiff)."""
    x = minitorch.tensor([[INPUT]], requires_grad=True)
    out = minitorch.conv1d(
        x, minitorch.tensor([[WEIGHT]]), stride=stride, padding=padding, dilation=dilation
    )
    pick = np.zeros(out.shape)
    pick[0, 0, output] = 1.0
    (out * minitorch.from_numpy(pick)).sum().backward()
    return tuple(np.flatnonzero(x.grad.to_numpy().reshape(-1)).tolist())


def test_conv_options_windows_are_what_each_output_depends_on() -> None:
    f = facts("conv_options")
    assert f.settings == ((1, 1, 1), (2, 0, 1), (1, 0, 2))
    for (stride, padding, dilation), cell, window, output in zip(
        f.settings, f.cells, f.windows, f.outputs, strict=True
    ):
        real = tuple(p for p in window if 0 <= p < len(INPUT))
        assert depends_on(cell, stride, padding, dilation) == real
        # The cells outside the input are padding, and only the padded panel has them.
        assert (len(real) < len(window)) == (padding > 0)
        expected = sum(
            WEIGHT[k] * (INPUT[p] if 0 <= p < len(INPUT) else 0.0) for k, p in enumerate(window)
        )
        assert output[cell] == expected
        library = minitorch.conv1d(
            minitorch.tensor([[INPUT]]),
            minitorch.tensor([[WEIGHT]]),
            stride=stride,
            padding=padding,
            dilation=dilation,
        )
        assert output == tuple(library.to_numpy().reshape(-1).tolist())
        n, k = len(INPUT), len(WEIGHT)
        assert len(output) == (n + 2 * padding - dilation * (k - 1) - 1) // stride + 1


def test_stride_two_window_is_exactly_the_cells_with_gradient() -> None:
    f = facts("conv_options")
    assert f.windows[1] == (2, 3, 4) == depends_on(1, stride=2, padding=0, dilation=1)
    assert f.windows[2] == (1, 3, 5) == depends_on(1, stride=1, padding=0, dilation=2)


def _field_by_autodiff(level: int, cell: int, layers, lengths) -> tuple[int, ...]:
    """Cells of ``level`` on which top cell ``cell`` depends: run the layers above as a leaf."""
    x = minitorch.rand((1, 1, lengths[level]), seed=level, requires_grad=True)
    h = x
    for n, (kernel, stride) in enumerate(layers[level:]):
        w = minitorch.rand((1, 1, kernel), seed=10 + n) + 0.5  # positive: no cancellation
        h = minitorch.conv1d(h, w, stride=stride)
    pick = np.zeros(h.shape)
    pick[0, 0, cell] = 1.0
    (h * minitorch.from_numpy(pick)).sum().backward()
    return tuple(np.flatnonzero(x.grad.to_numpy().reshape(-1)).tolist())


def test_receptive_field_levels_match_autodiff_and_the_formula() -> None:
    f = facts("receptive_field")
    for level in range(len(f.lengths) - 1):
        assert f.fields[level] == _field_by_autodiff(level, f.cell, f.layers, f.lengths)
    assert len(f.fields[0]) == receptive_field(f.layers) == 9
    x = minitorch.zeros((1, 1, f.lengths[0]))
    for (kernel, stride), length in zip(f.layers, f.lengths[1:], strict=True):
        x = minitorch.conv1d(x, minitorch.zeros((1, 1, kernel)), stride=stride)
        assert x.shape[-1] == length


@pytest.mark.parametrize("panel", [0, 1, 2])
def test_groups_blocks_are_the_channels_each_output_reads(panel: int) -> None:
    f = facts("groups")
    groups, C = f.groups[panel], f.channels
    weight = minitorch.rand((C, C // groups, 1), seed=1) + 0.5
    for o in range(C):
        x = minitorch.rand((1, C, 4), seed=2, requires_grad=True)
        out = minitorch.conv1d(x, weight, groups=groups)
        pick = np.zeros(out.shape)
        pick[0, o] = 1.0
        (out * minitorch.from_numpy(pick)).sum().backward()
        reads = np.abs(x.grad.to_numpy()[0]).sum(axis=1) > 0
        assert tuple(reads.tolist()) == f.connected[panel][o]
    assert f.parameters[panel] == weight.size


def test_zero_insertion_reads_exactly_the_outputs_whose_window_covers_the_cell() -> None:
    f = facts("zero_insertion")
    # Output o of the stride-2 convolution depends on input cell `cell` ...
    covering = tuple(o for o in range(len(f.grad_output)) if f.cell in depends_on(o, 2, 0, 1))
    # ... exactly when its d sits in the window; the window's other cells are inserted zeros.
    assert f.outputs == covering == (1, 2)
    real = [p for p in f.window if f.spread[p] != 0.0]
    assert [f.spread[p] for p in real] == [f.grad_output[o] for o in f.outputs]
    value = sum(WEIGHT[len(WEIGHT) - 1 - k] * f.spread[p] for k, p in enumerate(f.window))
    assert value == f.grad_input[f.cell] == 7.0


def test_zero_insertion_gradient_four_ways() -> None:
    f = facts("zero_insertion")
    d = list(f.grad_output)
    by_transpose = transposed_gradient(d)

    def loss(values: list[float]) -> float:
        out = minitorch.conv1d(
            minitorch.tensor([[values]]), minitorch.tensor([[WEIGHT]]), stride=2
        )
        return (out * minitorch.tensor([[d]])).sum().item()

    def moved(t: int, v: float) -> float:
        values = list(INPUT)
        values[t] = v
        return loss(values)

    by_differences = [
        central_difference(lambda v, t=t: moved(t, v), INPUT[t]) for t in range(len(INPUT))
    ]
    np.testing.assert_array_equal(by_transpose, f.grad_input)
    np.testing.assert_allclose(by_differences, f.grad_input, atol=1e-6)
