"""Benchmark of convolution on a sweep of layers from real networks, against PyTorch and NumPy.

Each row is one layer of a published architecture (LeNet-5, VGG, ResNet,
ResNeXt, MobileNet, DeepLab, WaveNet, wav2vec 2.0, QuartzNet, Jasper, DCGAN,
U-Net) with its channels, kernel, stride, padding, dilation and groups kept,
and its batch and spatial size scaled down so that the whole sweep runs in a
few minutes on 2 cores. Batch 1 (inference) rows sit next to training batches.

Everything is float64 on 2 threads. For each layer one run times, in
interleaved rounds (see :mod:`common`):

- minitorch: ``minitorch.conv1d`` / ``conv2d`` / ``conv_transpose2d`` with a
  bias, forward alone (under ``minitorch.no_grad``) and forward + backward
  (every gradient: input, weight, bias);
- NumPy im2col: the unrolled matrix built with ``sliding_window_view`` (strided,
  dilated, one matrix per group) and one batched BLAS product per direction; its
  backward is two more products and a col2im sum;
- PyTorch float64 (``torch.nn.functional``, the same arguments), and PyTorch
  float32 for reference (not a target: float32 has twice the SIMD width and
  its own kernels).

Before timing, minitorch's output and gradients are checked against PyTorch's
(or NumPy's where PyTorch is missing) to 1e-9. A ratio is minitorch's time over
the peer's: below 1 minitorch is faster. Targets: forward + backward no slower
than PyTorch float64 on every layer, and a geometric mean of those ratios at
most 0.7.

Run it as part of ``nox -s bench``, alone with ``nox -s bench -- conv``, or
directly: ``python tests/bench/bench_conv.py --quick --only resnet --profile``
(``--help`` lists the options).
"""

from __future__ import annotations

import argparse
import math
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from inspect import signature
from typing import Any

import numba
import numpy as np
from common import cpu_model, format_table, machine_summary, median_times, ms, ratio

import minitorch

THREADS = 2
TOLERANCE = 1e-9
TARGET_EACH = 1.0
TARGET_GEOMEAN = 0.7


def _tuple(value: int | tuple[int, ...], dims: int) -> tuple[int, ...]:
    return tuple(value) if isinstance(value, tuple) else (value,) * dims


@dataclass(frozen=True)
class Layer:
    """One benchmarked convolution: a named layer, its input size and its arguments.

    ``size`` is the input's spatial size (``(width,)`` or ``(height, width)``);
    stride, padding, dilation and output_padding are ints or one per spatial
    dimension, as in PyTorch.
    """

    name: str
    batch: int
    in_channels: int
    out_channels: int
    size: tuple[int, ...]
    kernel: tuple[int, ...]
    stride: int | tuple[int, ...] = 1
    padding: int | tuple[int, ...] = 0
    dilation: int | tuple[int, ...] = 1
    groups: int = 1
    transposed: bool = False
    output_padding: int | tuple[int, ...] = 0

    @property
    def dims(self) -> int:
        return len(self.size)

    def arg(self, name: str) -> tuple[int, ...]:
        """stride, padding, dilation or output_padding, one entry per spatial dimension."""
        return _tuple(getattr(self, name), self.dims)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return (self.batch, self.in_channels, *self.size)

    @property
    def weight_shape(self) -> tuple[int, ...]:
        if self.transposed:
            return (self.in_channels, self.out_channels // self.groups, *self.kernel)
        return (self.out_channels, self.in_channels // self.groups, *self.kernel)

    @property
    def out_size(self) -> tuple[int, ...]:
        rows = zip(
            self.size,
            self.kernel,
            self.arg("stride"),
            self.arg("padding"),
            self.arg("dilation"),
            self.arg("output_padding"),
            strict=True,
        )
        if self.transposed:
            return tuple((n - 1) * s - 2 * p + d * (k - 1) + op + 1 for n, k, s, p, d, op in rows)
        return tuple((n + 2 * p - d * (k - 1) - 1) // s + 1 for n, k, s, p, d, _ in rows)

    @property
    def output_shape(self) -> tuple[int, ...]:
        return (self.batch, self.out_channels, *self.out_size)

    @property
    def flops(self) -> int:
        """Forward floating-point operations: 2 per multiply-add (bias not counted)."""
        per_group = (self.in_channels // self.groups) * (self.out_channels // self.groups)
        # A convolution visits every output position, a transposed one every input position.
        positions = math.prod(self.size if self.transposed else self.out_size)
        return 2 * self.batch * self.groups * per_group * positions * math.prod(self.kernel)

    def kwargs(self) -> dict[str, Any]:
        """The keyword arguments of ``conv*d`` / ``conv_transpose*d`` for this layer."""
        args: dict[str, Any] = {
            "stride": self.stride,
            "padding": self.padding,
            "dilation": self.dilation,
            "groups": self.groups,
        }
        if self.transposed:
            args["output_padding"] = self.output_padding
        return args

    def geometry(self) -> str:
        """``8x64x28x28 k3 s2 p1 -> 8x128x14x14``, leaving out the arguments at their defaults."""
        parts = ["x".join(map(str, self.input_shape)), "k" + "x".join(map(str, self.kernel))]
        for short, name, default in (
            ("s", "stride", 1),
            ("p", "padding", 0),
            ("d", "dilation", 1),
            ("op", "output_padding", 0),
        ):
            values = self.arg(name)
            if any(v != default for v in values):
                parts.append(short + "x".join(map(str, sorted(set(values)))))
        if self.groups > 1:
            parts.append(f"g{self.groups}")
        op = "T" if self.transposed else ""
        return f"{' '.join(parts)} -{op}> {'x'.join(map(str, self.output_shape))}"


# Real layers, scaled: each keeps its channels, kernel, stride, padding, dilation
# and groups; the batch and the spatial size are smaller than in the paper.
LAYERS = [
    # LeNet-5 (LeCun et al. 1998): C1 on 28x28 digits padded to 32, C3 on 14x14.
    Layer("LeNet-5 C1", 64, 1, 6, (28, 28), (5, 5), padding=2),
    Layer("LeNet-5 C1 batch 1", 1, 1, 6, (28, 28), (5, 5), padding=2),
    Layer("LeNet-5 C3", 64, 6, 16, (14, 14), (5, 5)),
    # VGG-16 (Simonyan & Zisserman 2014): 3x3, padding 1, maps 224 -> 7 scaled down.
    Layer("VGG-16 conv1_1", 8, 3, 64, (32, 32), (3, 3), padding=1),
    Layer("VGG-16 conv1_2", 2, 64, 64, (32, 32), (3, 3), padding=1),
    Layer("VGG-16 conv3_1", 2, 128, 256, (14, 14), (3, 3), padding=1),
    Layer("VGG-16 conv5_x batch 1", 1, 512, 512, (7, 7), (3, 3), padding=1),
    # ResNet (He et al. 2015): the 7x7/2 stem, stride-2 3x3 layers that open a
    # stage, their 1x1/2 projections, and ResNet-50's 1x1 bottleneck layers.
    Layer("ResNet stem 7x7/2", 4, 3, 64, (64, 64), (7, 7), stride=2, padding=3),
    Layer("ResNet-18 layer1 3x3 batch 1", 1, 64, 64, (56, 56), (3, 3), padding=1),
    Layer("ResNet-18 layer2.0 3x3/2", 4, 64, 128, (28, 28), (3, 3), stride=2, padding=1),
    Layer("ResNet-18 layer2.0 1x1/2 proj", 8, 64, 128, (28, 28), (1, 1), stride=2),
    Layer("ResNet-18 layer3.0 3x3/2", 4, 128, 256, (14, 14), (3, 3), stride=2, padding=1),
    Layer("ResNet-50 layer3.0 1x1/2 proj", 4, 512, 1024, (14, 14), (1, 1), stride=2),
    Layer("ResNet-50 layer3 1x1 reduce", 8, 1024, 256, (7, 7), (1, 1)),
    Layer("ResNet-50 layer2 1x1 expand", 8, 128, 512, (14, 14), (1, 1)),
    # ResNeXt-50 32x4d (Xie et al. 2016): grouped 3x3, 32 groups.
    Layer("ResNeXt-50 layer2 3x3 g32", 4, 256, 256, (14, 14), (3, 3), padding=1, groups=32),
    # MobileNet v1 (Howard et al. 2017): depthwise 3x3 (stride 1 and 2) and pointwise 1x1.
    Layer("MobileNet dw 3x3 32ch", 8, 32, 32, (56, 56), (3, 3), padding=1, groups=32),
    Layer("MobileNet dw 3x3/2 128ch", 8, 128, 128, (28, 28), (3, 3), 2, 1, groups=128),
    Layer("MobileNet dw 3x3 512ch batch 1", 1, 512, 512, (14, 14), (3, 3), padding=1, groups=512),
    Layer("MobileNet pw 1x1 32->64", 8, 32, 64, (28, 28), (1, 1)),
    Layer("MobileNet pw 1x1 512->512", 4, 512, 512, (7, 7), (1, 1)),
    # DeepLab v3 (Chen et al. 2017): an ASPP branch, 3x3 with dilation 6.
    Layer("DeepLab ASPP 3x3 d6", 1, 256, 256, (12, 12), (3, 3), padding=6, dilation=6),
    # WaveNet (van den Oord et al. 2016): kernel-2 dilated convolutions, 32 residual
    # channels into 64 (filter and gate), and the 1x1 skip/residual convolution.
    Layer("WaveNet k2 d64", 4, 32, 64, (2048,), (2,), dilation=64),
    Layer("WaveNet k2 d512 batch 1", 1, 32, 64, (4096,), (2,), dilation=512),
    Layer("WaveNet 1x1 residual", 4, 32, 32, (2048,), (1,)),
    # wav2vec 2.0 (Baevski et al. 2020): the raw-audio encoder's first (k10/5) and
    # later (k3/2) layers, 512 channels.
    Layer("wav2vec2 conv0 k10/5", 2, 1, 512, (8000,), (10,), stride=5),
    Layer("wav2vec2 conv1 k3/2", 1, 512, 512, (200,), (3,), stride=2),
    # QuartzNet (Kriman et al. 2019): time-channel separable, depthwise k33 then
    # pointwise; Jasper (Li et al. 2019): a dense k11 layer.
    Layer("QuartzNet dw k33", 4, 256, 256, (400,), (33,), padding=16, groups=256),
    Layer("QuartzNet pw 1x1", 2, 256, 256, (400,), (1,)),
    Layer("Jasper k11 batch 1", 1, 256, 256, (128,), (11,), padding=5),
    # Decoders: DCGAN's generator (Radford et al. 2015, 4x4/2 and the 1x1 -> 4x4
    # projection), U-Net's 2x2/2 up-convolution (Ronneberger et al. 2015), and a
    # 3x3/2 one with output_padding as in FCN/ResNet decoders.
    Layer("DCGAN G 4x4/2 256->128", 2, 256, 128, (8, 8), (4, 4), 2, 1, transposed=True),
    Layer("DCGAN G 4x4 z->512", 64, 100, 512, (1, 1), (4, 4), transposed=True),
    Layer("U-Net up 2x2/2", 4, 128, 64, (14, 14), (2, 2), stride=2, transposed=True),
    Layer(
        "decoder 3x3/2 op1", 2, 64, 32, (28, 28), (3, 3), 2, 1, transposed=True, output_padding=1
    ),
]


# ------------------------------------------------------------------ NumPy im2col
def _windows(x: np.ndarray, layer: Layer) -> np.ndarray:
    """[B, C, *S] -> [B, C, *Out, *K]: the padded input's strided, dilated windows (a view)."""
    d = layer.dims
    padding = [(0, 0), (0, 0), *[(p, p) for p in layer.arg("padding")]]
    spans = [dl * (k - 1) + 1 for k, dl in zip(layer.kernel, layer.arg("dilation"), strict=True)]
    windows = np.lib.stride_tricks.sliding_window_view(
        np.pad(x, padding), spans, axis=tuple(range(2, 2 + d))
    )
    steps = [slice(None, None, s) for s in layer.arg("stride")]
    taps = [slice(None, None, dl) for dl in layer.arg("dilation")]
    return windows[(slice(None), slice(None), *steps, *taps)]


def _im2col(x: np.ndarray, layer: Layer) -> np.ndarray:
    """[B, C, *S] -> [G, B * prod(Out), C / G * prod(K)]: every window, one matrix per group."""
    batch, channels = x.shape[:2]
    windows = _windows(x, layer)
    out = windows.shape[2 : 2 + layer.dims]
    d, g = layer.dims, layer.groups
    # [B, G, C/G, *Out, *K] -> [G, B, *Out, C/G, *K]
    grouped = windows.reshape(batch, g, channels // g, *windows.shape[2:])
    order = (1, 0, *range(3, 3 + d), 2, *range(3 + d, 3 + 2 * d))
    return grouped.transpose(order).reshape(g, batch * math.prod(out), -1)


def _col2im(cols: np.ndarray, shape: tuple[int, ...], layer: Layer) -> np.ndarray:
    """The adjoint of :func:`_im2col`: add each window's entries back onto an input of ``shape``."""
    batch, channels, *sizes = shape
    d, g = layer.dims, layer.groups
    padding, stride, dilation = layer.arg("padding"), layer.arg("stride"), layer.arg("dilation")
    out = [
        (n + 2 * p - dl * (k - 1) - 1) // s + 1
        for n, k, s, p, dl in zip(sizes, layer.kernel, stride, padding, dilation, strict=True)
    ]
    # [G, B * Out, C/G * K] -> [G, B, *Out, C/G, *K] -> [B, G, C/G, *Out, *K]
    grads = cols.reshape(g, batch, *out, channels // g, *layer.kernel)
    order = (1, 0, 2 + d, *range(2, 2 + d), *range(3 + d, 3 + 2 * d))
    grads = grads.transpose(order).reshape(batch, channels, *out, *layer.kernel)
    padded = np.zeros((batch, channels, *[n + 2 * p for n, p in zip(sizes, padding, strict=True)]))
    for offset in np.ndindex(*layer.kernel):
        region = tuple(
            slice(o * dl, o * dl + s * (n - 1) + 1, s)
            for o, dl, s, n in zip(offset, dilation, stride, out, strict=True)
        )
        padded[(slice(None), slice(None), *region)] += grads[(..., *offset)]
    inner = [slice(p, p + n) for p, n in zip(padding, sizes, strict=True)]
    return padded[(slice(None), slice(None), *inner)]


def _rows(t: np.ndarray, groups: int) -> np.ndarray:
    """[B, C, *S] -> [G, B * prod(S), C / G]: a per-group matrix with one row per position."""
    batch, channels, *sizes = t.shape
    grouped = t.reshape(batch, groups, channels // groups, math.prod(sizes))
    return grouped.transpose(1, 0, 3, 2).reshape(groups, -1, channels // groups)


def _unrows(rows: np.ndarray, batch: int, sizes: Sequence[int]) -> np.ndarray:
    """The inverse of :func:`_rows`: [G, B * prod(S), C / G] -> [B, C, *S]."""
    groups, _, per_group = rows.shape
    grouped = rows.reshape(groups, batch, -1, per_group).transpose(1, 0, 3, 2)
    return grouped.reshape(batch, groups * per_group, *sizes)


def _bias(b: np.ndarray, dims: int) -> np.ndarray:
    return b.reshape(-1, *([1] * dims))


def numpy_forward(layer: Layer, x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[Any, ...]:
    """Forward by im2col and one batched matrix product; returns (out, what backward needs)."""
    g = layer.groups
    w_rows = w.reshape(g, w.shape[0] // g, -1)  # [G, rows of the weight, C/G * K]
    if layer.transposed:
        # The adjoint of a convolution whose weight is w: [B, I, *S] (*) [I, O/G, *K]
        #   = col2im([G, B * S, I/G] @ [G, I/G, O/G * K]) -> [B, O, *Out]
        x_rows = _rows(x, g)
        out = _col2im(x_rows @ w_rows, layer.output_shape, layer)
        return out + _bias(b, layer.dims), x_rows
    cols = _im2col(x, layer)
    # [G, B * Out, I/G * K] @ [G, I/G * K, O/G] -> [B, O, *Out]
    out = _unrows(cols @ w_rows.transpose(0, 2, 1), x.shape[0], layer.out_size)
    return out + _bias(b, layer.dims), cols


def numpy_forward_backward(
    layer: Layer, x: np.ndarray, w: np.ndarray, b: np.ndarray, grad: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Forward, then the input, weight and bias gradients for ``grad`` (the output's gradient)."""
    out, saved = numpy_forward(layer, x, w, b)
    g = layer.groups
    w_rows = w.reshape(g, w.shape[0] // g, -1)
    grad_bias = grad.sum(axis=(0, *range(2, 2 + layer.dims)))
    if layer.transposed:
        # grad_input is the convolution of grad with w; grad_weight pairs x's rows
        # with grad's windows: [G, I/G, B * S] @ [G, B * S, O/G * K] -> [I, O/G, *K]
        cols = _im2col(grad, layer)
        grad_input = _unrows(cols @ w_rows.transpose(0, 2, 1), x.shape[0], layer.size)
        grad_weight = (saved.transpose(0, 2, 1) @ cols).reshape(w.shape)
        return out, grad_input, grad_weight, grad_bias
    grad_rows = _rows(grad, g)  # [G, B * Out, O/G]
    grad_weight = (grad_rows.transpose(0, 2, 1) @ saved).reshape(w.shape)
    grad_input = _col2im(grad_rows @ w_rows, x.shape, layer)
    return out, grad_input, grad_weight, grad_bias


# ----------------------------------------------------------------------- PyTorch
def _torch() -> Any:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(THREADS)
    return torch


def _torch_conv(torch: Any, layer: Layer) -> Callable[..., Any]:
    functional = torch.nn.functional
    name = f"conv{'_transpose' if layer.transposed else ''}{layer.dims}d"
    conv = getattr(functional, name)
    kwargs = layer.kwargs()
    return lambda x, w, b: conv(x, w, b, **kwargs)


def _torch_candidates(
    torch: Any, layer: Layer, arrays: Sequence[np.ndarray], dtype: Any
) -> tuple[Callable[[], object], Callable[[], object]]:
    conv = _torch_conv(torch, layer)
    x, w, b = (torch.tensor(a, dtype=dtype, requires_grad=True) for a in arrays[:3])
    grad = torch.tensor(arrays[3], dtype=dtype)

    def forward() -> None:
        with torch.no_grad():
            conv(x, w, b)

    def forward_backward() -> None:
        x.grad = w.grad = b.grad = None
        conv(x, w, b).backward(grad)

    return forward, forward_backward


def _torch_pieces(
    torch: Any, layer: Layer, arrays: Sequence[np.ndarray]
) -> tuple[Callable[[], object], Callable[[], object], Callable[[], object]]:
    """PyTorch float64's backward alone, its input gradient alone, its weight + bias gradients."""
    x, w, b = (torch.tensor(a, requires_grad=True) for a in arrays[:3])
    grad = torch.tensor(arrays[3])
    out = _torch_conv(torch, layer)(x, w, b)
    args = (
        grad,
        x.detach(),
        w.detach(),
        [layer.out_channels],
        list(layer.arg("stride")),
        list(layer.arg("padding")),
        list(layer.arg("dilation")),
        layer.transposed,
        list(layer.arg("output_padding")),
        layer.groups,
    )
    backward_op = torch.ops.aten.convolution_backward

    def backward() -> None:
        x.grad = w.grad = b.grad = None
        out.backward(grad, retain_graph=True)

    return (
        backward,
        lambda: backward_op(*args, [True, False, False]),
        lambda: backward_op(*args, [False, True, True]),
    )


def _torch_results(torch: Any, layer: Layer, arrays: Sequence[np.ndarray]) -> list[np.ndarray]:
    x, w, b = (torch.tensor(a, requires_grad=True) for a in arrays[:3])
    out = _torch_conv(torch, layer)(x, w, b)
    out.backward(torch.tensor(arrays[3]))
    return [t.detach().numpy() for t in (out, x.grad, w.grad, b.grad)]


# --------------------------------------------------------------------- minitorch
def _minitorch_conv(layer: Layer) -> Callable[..., Any]:
    name = f"conv{'_transpose' if layer.transposed else ''}{layer.dims}d"
    conv = getattr(minitorch, name)
    kwargs = layer.kwargs()
    return lambda x, w, b: conv(x, w, b, **kwargs)


def _has_contract_api() -> bool:
    """Whether minitorch has PyTorch's convolution signatures (bias, stride, ..., transposed)."""
    try:
        x = minitorch.tensor(np.ones((1, 1, 3, 3)))
        w = minitorch.tensor(np.ones((1, 1, 2, 2)))
        minitorch.conv_transpose2d(x, w, None, stride=2)
        return tuple(minitorch.conv2d(x, w, None, stride=2, padding=0).shape) == (1, 1, 1, 1)
    except (AttributeError, TypeError):
        return False


def _minitorch_candidates(
    layer: Layer, arrays: Sequence[np.ndarray]
) -> tuple[Callable[[], object], Callable[[], object]]:
    conv = _minitorch_conv(layer)
    x, w, b = (minitorch.tensor(a, requires_grad=True) for a in arrays[:3])
    grad = minitorch.tensor(arrays[3])

    def forward() -> None:
        with minitorch.no_grad():
            conv(x, w, b)

    def forward_backward() -> None:
        x.grad = w.grad = b.grad = None
        conv(x, w, b).backward(grad)

    return forward, forward_backward


def _minitorch_pieces(
    layer: Layer, arrays: Sequence[np.ndarray]
) -> tuple[Callable[[], object], Callable[[], Any], Callable[[], Any] | None]:
    """minitorch's backward alone (on a graph built once), its input gradient, its weight gradient.

    The input gradient is the public adjoint: ``conv_transpose*d`` of the
    output's gradient for a convolution (with the output_padding that gives back
    the input's size), ``conv*d`` for a transposed one. The weight gradient is
    the helper the backward calls (``tensor_functions._weight_gradient``, a
    private name: None where it is missing or called differently).
    """
    x, w, b = (minitorch.tensor(a, requires_grad=True) for a in arrays[:3])
    grad = minitorch.tensor(arrays[3])
    out = _minitorch_conv(layer)(x, w, b)

    # Run the same graph again: a library that releases it after one backward
    # takes retain_graph, as PyTorch does.
    keep = {"retain_graph": True} if "retain_graph" in signature(out.backward).parameters else {}

    def backward() -> None:
        x.grad = w.grad = b.grad = None
        out.backward(grad, **keep)

    kwargs = layer.kwargs()
    if layer.transposed:
        del kwargs["output_padding"]
        adjoint = getattr(minitorch, f"conv{layer.dims}d")
    else:
        produced = Layer(**{**layer.__dict__, "transposed": True, "size": layer.out_size})
        missing = [n - m for n, m in zip(layer.size, produced.out_size, strict=True)]
        kwargs["output_padding"] = tuple(missing)
        adjoint = getattr(minitorch, f"conv_transpose{layer.dims}d")
    weight = minitorch.tensor(arrays[1])

    def grad_input() -> Any:
        with minitorch.no_grad():
            return adjoint(grad, weight, None, **kwargs)

    helper = getattr(minitorch.tensor_functions, "_weight_gradient", None)
    first, second = (grad, x) if layer.transposed else (x, grad)
    geometry = (layer.groups, layer.arg("stride"), layer.arg("padding"), layer.arg("dilation"))

    def grad_weight() -> Any:
        assert helper is not None
        return helper(weight.zeros(weight.shape), first, second, *geometry)

    try:
        grad_weight()
    except (AssertionError, TypeError, ValueError):
        return backward, grad_input, None
    return backward, grad_input, grad_weight


def _minitorch_results(layer: Layer, arrays: Sequence[np.ndarray]) -> list[np.ndarray]:
    x, w, b = (minitorch.tensor(a, requires_grad=True) for a in arrays[:3])
    out = _minitorch_conv(layer)(x, w, b)
    out.backward(minitorch.tensor(arrays[3]))
    for t in (x, w, b):
        assert t.grad is not None
    return [t.to_numpy() for t in (out, x.grad, w.grad, b.grad)]


def _check(name: str, got: Sequence[np.ndarray], want: Sequence[np.ndarray], layer: Layer) -> None:
    """Refuse to time implementations that disagree (a sanity check; the tests are the proof)."""
    names = ("output", "grad_input", "grad_weight", "grad_bias")
    for what, a, e in zip(names[: len(got)], got, want, strict=True):
        if a.shape != e.shape or not np.allclose(a, e, rtol=TOLERANCE, atol=TOLERANCE):
            error = (
                np.max(np.abs(a - e)) if a.shape == e.shape else f"shape {a.shape} != {e.shape}"
            )
            raise AssertionError(f"{layer.name}: {name} {what} differs (max error {error})")


# ------------------------------------------------------------------- the machine
def float64_ceiling(size: int = 4096, repeats: int = 3) -> float:
    """GFLOP/s of a NumPy (BLAS) float64 matrix product, the machine's practical ceiling."""
    rng = np.random.default_rng(0)
    a = rng.normal(size=(size, size))
    b = rng.normal(size=(size, size))
    seconds = median_times({"matmul": lambda: a @ b}, repeats=repeats)["matmul"]
    return 2 * size**3 / seconds / 1e9


def vector_flags() -> str:
    """The CPU's AVX2 / AVX-512 flags as ``lscpu`` (or /proc/cpuinfo) lists them."""
    text = ""
    try:
        text = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        if os.path.exists("/proc/cpuinfo"):
            with open("/proc/cpuinfo") as f:
                text = f.read()
    flags = sorted(set(re.findall(r"\b(avx2|avx512\w*|fma)\b", text)))
    return " ".join(flags) if flags else "no AVX2, no AVX-512"


def time_to_first_conv2d(runs: int = 3) -> tuple[float, float]:
    """Seconds from a fresh interpreter to its first conv2d result, with Numba's cache warm.

    Returns:
        (inside: from ``import minitorch`` to the result, whole: the whole process),
        each the median of ``runs`` processes, after one discarded run that warms the cache.
    """
    code = (
        "import time; start = time.perf_counter()\n"
        "import minitorch\n"
        "x = minitorch.rand((2, 3, 8, 8), seed=0)\n"
        "w = minitorch.rand((4, 3, 3, 3), seed=1)\n"
        "minitorch.conv2d(x, w).to_numpy()\n"
        "print(time.perf_counter() - start)\n"
    )
    inside, whole = [], []
    for run in range(runs + 1):
        begin = time.perf_counter()
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"the start-up measurement failed:\n{result.stderr[-2000:]}")
        if run > 0:
            whole.append(time.perf_counter() - begin)
            inside.append(float(result.stdout.strip().splitlines()[-1]))
    return float(np.median(inside)), float(np.median(whole))


# ----------------------------------------------------------------------- the run
def _arrays(layer: Layer, rng: np.random.Generator) -> list[np.ndarray]:
    """Input, weight, bias and the output's gradient, standard normal."""
    shapes = (layer.input_shape, layer.weight_shape, (layer.out_channels,), layer.output_shape)
    return [rng.normal(size=shape) for shape in shapes]


def _select(only: Sequence[str]) -> list[Layer]:
    if not only:
        return LAYERS
    words = [w.lower() for w in only]
    return [layer for layer in LAYERS if any(w in layer.name.lower() for w in words)]


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench_conv",
        description="Time convolutions of real layers against PyTorch and NumPy.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="3 rounds, no float64 ceiling, no start-up timing"
    )
    parser.add_argument("--repeats", type=int, help="interleaved rounds per layer (default 7)")
    parser.add_argument(
        "--only", nargs="+", default=[], metavar="WORD", help="layers whose name contains a WORD"
    )
    parser.add_argument("--list", action="store_true", help="list the layers and exit")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also time backward alone and its input gradient alone (minitorch and torch64)",
    )
    return parser.parse_args(list(argv))


def main(argv: Sequence[str] = ()) -> dict[str, dict[str, float]]:
    """Check, time and print every layer; return name -> candidate -> median seconds.

    ``argv`` holds this benchmark's own options only (``["--quick"]``), so a
    runner that calls ``main()`` is not confused by its own command line.
    """
    args = _parse(argv)
    layers = _select(args.only)
    if args.list:
        rows = [[layer.name, layer.geometry(), f"{layer.flops / 1e6:.1f}"] for layer in layers]
        print(format_table(["layer", "geometry", "MFLOP"], rows))
        return {}
    repeats = args.repeats or (3 if args.quick else 7)
    numba.set_num_threads(min(THREADS, numba.config.NUMBA_NUM_THREADS))
    try:
        from threadpoolctl import threadpool_limits

        blas_limit: Any = threadpool_limits(THREADS, user_api="blas")
    except ImportError:
        blas_limit = None
    torch = _torch()
    mine = _has_contract_api()
    print(
        f"Convolution sweep: {len(layers)} layers, float64 unless marked, {THREADS} threads, "
        f"medians of {repeats} interleaved rounds"
    )
    print(machine_summary())
    print(f"CPU: {cpu_model()}; vector flags: {vector_flags()}")
    peers = "NumPy im2col" + (f", PyTorch {torch.__version__}" if torch else " (no PyTorch here)")
    if torch is not None:
        peers += f" on {torch.get_num_threads()} threads"
    print(f"Peers: {peers}")
    if not mine:
        print(
            "minitorch lacks PyTorch's conv signatures (conv_transpose2d, stride=...): peers only"
        )
    if not args.quick:
        print(f"float64 ceiling (NumPy 4096 x 4096 matmul): {float64_ceiling():.1f} GFLOP/s")

    rng = np.random.default_rng(0)
    results: dict[str, dict[str, float]] = {}
    for layer in layers:
        arrays = _arrays(layer, rng)
        reference = numpy_forward_backward(layer, *arrays)
        if torch is not None:
            reference = _torch_results(torch, layer, arrays)
            _check("NumPy im2col", numpy_forward_backward(layer, *arrays), reference, layer)
        candidates: dict[str, Callable[[], object]] = {}
        if mine:
            _check("minitorch", _minitorch_results(layer, arrays), reference, layer)
            candidates["mt fwd"], candidates["mt f+b"] = _minitorch_candidates(layer, arrays)
        candidates["np fwd"] = lambda layer=layer, a=arrays: numpy_forward(layer, *a[:3])
        candidates["np f+b"] = lambda layer=layer, a=arrays: numpy_forward_backward(layer, *a)
        if torch is not None:
            for tag, dtype in (("pt", torch.float64), ("pt32", torch.float32)):
                fwd, fwd_bwd = _torch_candidates(torch, layer, arrays, dtype)
                candidates[f"{tag} fwd"], candidates[f"{tag} f+b"] = fwd, fwd_bwd
        if args.profile and mine and torch is not None:
            backward, grad_input, grad_weight = _minitorch_pieces(layer, arrays)
            candidates["mt bwd"], candidates["mt gin"] = backward, grad_input
            pieces_got = [grad_input().to_numpy()]
            if grad_weight is not None:
                candidates["mt gw"] = grad_weight
                pieces_got.append(grad_weight().to_numpy())
            _check(
                "minitorch pieces",
                [reference[0], *pieces_got],
                reference[: 1 + len(pieces_got)],
                layer,
            )
            pieces = _torch_pieces(torch, layer, arrays)
            candidates["pt bwd"], candidates["pt gin"], candidates["pt gwb"] = pieces
        results[layer.name] = median_times(candidates, repeats=repeats)
        print(f"  measured {layer.name}", flush=True)

    _print_tables(layers, results, mine, torch is not None)
    if args.profile and mine and torch is not None:
        _print_profile(layers, results)
    if not args.quick and mine:
        inside, whole = time_to_first_conv2d()
        print(
            f"\nfirst conv2d result in a fresh process (warm Numba cache): {inside:.2f} s after "
            f"'import minitorch' starts, {whole:.2f} s for the whole process"
        )
    try:
        layer_name = numba.threading_layer()
    except ValueError:
        layer_name = "none yet (no parallel kernel ran)"
    # On a machine shared with other busy processes, OpenMP threads that spin while
    # waiting (the default) can cost milliseconds per parallel region, for Numba's
    # "omp" layer and for PyTorch alike; OMP_WAIT_POLICY=PASSIVE avoids that. OpenBLAS's
    # threads (the NumPy peer's) spin after each product unless OPENBLAS_THREAD_TIMEOUT
    # is small, and slow whichever candidate runs next (see THREADS in noxfile.py).
    print(
        f"Numba: {numba.get_num_threads()} threads, threading layer {layer_name}; "
        f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}, "
        f"OPENBLAS_THREAD_TIMEOUT={os.environ.get('OPENBLAS_THREAD_TIMEOUT', 'unset')}"
    )
    if blas_limit is not None:
        blas_limit.restore_original_limits()
    return results


def _gflops(flops: float, seconds: float) -> str:
    return f"{flops / seconds / 1e9:.1f}"


def _print_tables(
    layers: Sequence[Layer], results: dict[str, dict[str, float]], mine: bool, torch: bool
) -> None:
    """The forward table, the forward + backward table with targets, and the verdict."""
    for key, title, factor in (
        ("fwd", "forward (no_grad)", 1),
        ("f+b", "forward + backward (grad of input, weight and bias)", 3),
    ):
        headers = ["layer", "geometry", "MFLOP"]
        headers += ["minitorch ms", "GFLOP/s"] if mine else []
        headers += ["im2col ms"] + (["torch64 ms", "torch32 ms"] if torch else [])
        if mine:
            headers += ["vs im2col"] + (["vs torch64", "vs torch32"] if torch else [])
        if mine and torch and key == "f+b":
            headers += [f"<= {TARGET_EACH:g}x"]
        rows = []
        for layer in layers:
            t = results[layer.name]
            flops = factor * layer.flops
            row = [layer.name, layer.geometry(), f"{flops / 1e6:.1f}"]
            if mine:
                row += [ms(t[f"mt {key}"]), _gflops(flops, t[f"mt {key}"])]
            row += [ms(t[f"np {key}"])]
            if torch:
                row += [ms(t[f"pt {key}"]), ms(t[f"pt32 {key}"])]
            if mine:
                row += [ratio(t[f"mt {key}"], t[f"np {key}"])]
                if torch:
                    row += [ratio(t[f"mt {key}"], t[f"pt {key}"])]
                    row += [ratio(t[f"mt {key}"], t[f"pt32 {key}"])]
            if mine and torch and key == "f+b":
                row += ["met" if t["mt f+b"] <= TARGET_EACH * t["pt f+b"] else "MISSED"]
            rows.append(row)
        print(f"\n{title}")
        print(format_table(headers, rows))
        if mine and torch:
            ratios = [
                results[layer.name][f"mt {key}"] / results[layer.name][f"pt {key}"]
                for layer in layers
            ]
            geomean = math.exp(sum(map(math.log, ratios)) / len(ratios))
            line = f"geometric mean of minitorch / torch64 ({key}): {geomean:.2f}x"
            if key == "f+b":
                missed = sum(r > TARGET_EACH for r in ratios)
                verdict = "met" if geomean <= TARGET_GEOMEAN else "MISSED"
                line += (
                    f" (target <= {TARGET_GEOMEAN:g}: {verdict}); "
                    f"{len(ratios) - missed}/{len(ratios)} layers <= {TARGET_EACH:g}x"
                )
            print(line)


def _print_profile(layers: Sequence[Layer], results: dict[str, dict[str, float]]) -> None:
    """Where the time goes: forward, backward, and backward's input and weight gradients alone."""
    headers = ["layer", "fwd ms mt/t64", "bwd ms mt/t64", "grad_input ms mt/t64"]
    headers += ["grad_weight ms mt/t64", "fwd x", "bwd x", "grad_input x", "grad_weight x"]
    rows = []
    for layer in layers:
        t = results[layer.name]
        # Without the helper, the weight gradient is estimated as the backward
        # less the input gradient (noisy: two medians subtracted).
        rest = t.get("mt gw", max(t["mt bwd"] - t["mt gin"], 1e-9))
        pairs = [
            (t["mt fwd"], t["pt fwd"]),
            (t["mt bwd"], t["pt bwd"]),
            (t["mt gin"], t["pt gin"]),
            (rest, t["pt gwb"]),
        ]
        row = [layer.name] + [f"{ms(a)} / {ms(b)}" for a, b in pairs]
        rows.append(row + [ratio(a, b) for a, b in pairs])
    print(
        "\nprofile: minitorch / torch64 ms. bwd: backward alone on a built graph. grad_input: "
        "minitorch's public adjoint\n(conv_transpose*d of the output's gradient, conv*d for a "
        "transposed layer) against torch's convolution_backward\n(input only); grad_weight: "
        "minitorch's tensor_functions._weight_gradient against convolution_backward (weight and bias)"
    )
    print(format_table(headers, rows))


if __name__ == "__main__":
    main(sys.argv[1:])
