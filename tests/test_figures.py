"""Regression and meaning tests for the book's figures (src/minitorch/drawing).

Three kinds of check:

- each registered figure, regenerated, matches its committed fixture
  ``figures/<name>.svg`` after normalisation (numbers rounded to 2 decimals,
  XML header dropped); on a mismatch the new SVG, a side-by-side PNG of old
  and new, and the diff are written to ``_build/figure-diffs/``;
- each figure highlights what the book says it shows, checked on the facts
  the drawing function returns against the library and NumPy (never by
  parsing SVG);
- the book shows every registered figure, and only registered ones.
"""

from __future__ import annotations

import difflib
import functools
import re
from pathlib import Path

import numpy as np
import pytest
from colour import Color

import minitorch
from minitorch.drawing import REGISTRY, Figure, figure
from minitorch.drawing.canvas import GHOST as GHOST_COLOUR
from minitorch.drawing.svg import normalise_svg, render_svg, side_by_side

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "figures"
DIFFS = ROOT / "_build" / "figure-diffs"
BOOK = ROOT / "book"
DIFF_LINES = 40
GHOST = GHOST_COLOUR.hex_l


@functools.cache
def drawn(name: str) -> Figure:
    """Each figure is drawn once per test session."""
    return figure(name)


def compare_with_fixture(name: str, svg: str, fixture: Path, out: Path) -> str | None:
    """None when ``svg`` matches ``fixture`` once both are normalised; else a failure message.

    On a mismatch, writes ``<name>.svg`` (the new figure), ``<name>.png`` (old and
    new side by side) and ``<name>.diff`` (the normalised diff) into ``out``.
    """
    if not fixture.exists():
        return f"{name}: no fixture {fixture}; run `nox -s figures` and commit figures/{name}.svg"
    old = fixture.read_text(encoding="utf-8")
    old_lines = normalise_svg(old).splitlines()
    new_lines = normalise_svg(svg).splitlines()
    if old_lines == new_lines:
        return None
    out.mkdir(parents=True, exist_ok=True)
    diff = list(
        difflib.unified_diff(
            old_lines, new_lines, f"figures/{name}.svg", f"{name} regenerated", lineterm=""
        )
    )
    (out / f"{name}.svg").write_text(svg, encoding="utf-8")
    (out / f"{name}.diff").write_text("\n".join(diff) + "\n", encoding="utf-8")
    side_by_side(old, svg, "committed", "regenerated").save(out / f"{name}.png")
    shown = "\n".join(diff[:DIFF_LINES])
    more = f"\n... ({len(diff) - DIFF_LINES} more diff lines)" if len(diff) > DIFF_LINES else ""
    return (
        f"figure {name!r} differs from figures/{name}.svg; the new SVG, a side-by-side PNG "
        f"(committed | regenerated) and the full diff are in {out}/. If the change is "
        f"intended, run `nox -s figures` and commit the fixture.\n{shown}{more}"
    )


# ------------------------------------------------------------------ fixtures
@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_figure_matches_its_committed_fixture(name: str) -> None:
    message = compare_with_fixture(name, drawn(name).svg, FIXTURES / f"{name}.svg", DIFFS)
    assert message is None, message


def test_a_changed_value_in_a_fixture_is_caught(tmp_path: Path) -> None:
    fixture = (FIXTURES / "conv1d.svg").read_text(encoding="utf-8")
    assert fixture.count(">37</text>") == 1
    tampered = tmp_path / "conv1d.svg"
    tampered.write_text(fixture.replace(">37</text>", ">36</text>"), encoding="utf-8")
    message = compare_with_fixture("conv1d", drawn("conv1d").svg, tampered, tmp_path / "diffs")
    assert message is not None
    assert re.search(r"^-.*>36</text>$", message, re.MULTILINE), message
    assert re.search(r"^\+.*>37</text>$", message, re.MULTILINE), message
    assert sorted(p.name for p in (tmp_path / "diffs").iterdir()) == [
        "conv1d.diff",
        "conv1d.png",
        "conv1d.svg",
    ]


def test_noise_below_the_rounding_is_not_a_change(tmp_path: Path) -> None:
    fixture = (FIXTURES / "conv1d.svg").read_text(encoding="utf-8")
    jittered = re.sub(r'width="(\d+)"', lambda m: f'width="{m.group(1)}.0001"', fixture)
    assert jittered != fixture
    path = tmp_path / "conv1d.svg"
    path.write_text(jittered, encoding="utf-8")
    assert compare_with_fixture("conv1d", drawn("conv1d").svg, path, tmp_path) is None


def test_a_figure_renders_the_same_text_twice() -> None:
    first = drawn("strides")
    again = REGISTRY["strides"].function()
    assert render_svg(again.diagram, first.alt) == first.svg


# ------------------------------------------------------------ SVG and display
@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_svg_is_self_contained_on_a_white_card(name: str) -> None:
    svg = drawn(name).svg
    lines = svg.splitlines()
    assert lines[0].startswith("<?xml") and lines[1].startswith("<svg")
    assert f"<title>{drawn(name).alt}</title>" == lines[2]
    assert re.fullmatch(r'<rect fill="#ffffff" height="\d+" width="\d+" x="0" y="0" />', lines[3])
    assert 'viewBox="0 0 ' in lines[1]
    assert " id=" not in svg, "ids would collide between figures on one page"
    assert "non-scaling-stroke" not in svg, "cairosvg ignores it; strokes are in drawing units"


def test_figure_offers_svg_and_no_html() -> None:
    shown = drawn("conv1d")
    assert shown._repr_mimebundle_() == {"image/svg+xml": shown.svg}
    assert not any(hasattr(shown, m) for m in ("_repr_html_", "_repr_svg_", "_repr_markdown_"))


def test_notebook_display_offers_svg_only() -> None:
    formatters = pytest.importorskip("IPython.core.formatters")
    data, _ = formatters.DisplayFormatter().format(drawn("conv1d"))
    assert "text/html" not in data
    assert data["image/svg+xml"] == drawn("conv1d").svg
    assert set(data) <= {"image/svg+xml", "text/plain"}


def test_unknown_figure_is_a_typed_error() -> None:
    with pytest.raises(minitorch.ArgumentError, match="no figure named 'conv3'"):
        figure("conv3")


def test_every_figure_has_alt_text_that_says_what_it_shows() -> None:
    for name, (function, alt) in REGISTRY.items():
        assert callable(function)
        assert len(alt.split()) >= 20, f"{name}: alt text too short to describe the figure"
        assert "\n" not in alt and '"' not in alt


@pytest.mark.parametrize(
    ("name", "stated"),
    [
        ("conv1d", "= 37"),
        ("conv1d", "18, 28, 38, 48, 37, 30"),
        ("convvec", "18, 28, 38, 48, 37, 30"),
        ("conv1dback", "= 11"),
        ("conv1dback2", "[13, 10, 27]"),
        ("backward", "= 6"),
        ("broadcast", "c[2, 1] = 23"),
        ("autodiff_graph", "x.grad = [4, 5]"),
        ("tile", "3.5, 5.5, 11.5, 13.5"),
    ],
)
def test_numbers_in_alt_text_are_the_figure_s_numbers(name: str, stated: str) -> None:
    """The alt text is written by hand; each number it states is also in the figure's SVG."""
    alt = REGISTRY[name].alt
    assert stated in alt
    facts = drawn(name).facts
    numbers = re.findall(r"-?\d+(?:\.\d+)?", stated.split("=")[-1])
    values = {float(v) for v in np.asarray(_all_numbers(facts), dtype=float).ravel()}
    for number in numbers:
        assert float(number) in values, f"{name}: {number} stated in the alt text is not a fact"


# ------------------------------------------------------------ legibility
# WCAG AA asks 4.5:1 for text; the book asks 11 CSS px at a 1280-px window. The
# page shows figures at their natural size (book.css), so a figure's own text
# size is what a reader sees. The browser check measures both on the built site.
MIN_TEXT_PX = 11.0
MIN_CONTRAST = 4.5


def _luminance(hex_colour: str) -> float:
    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)


def _contrast(first: str, second: str) -> float:
    high, low = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _texts(svg: str) -> list[tuple[str, float, str]]:
    """(text, size in px at the figure's natural size, fill colour) of every <text>."""
    import xml.etree.ElementTree as ET

    found = []

    def walk(element: ET.Element, scale: float, fill: str) -> None:
        transform = element.get("transform", "")
        if transform.startswith("matrix("):
            a, b = (float(v) for v in transform[7:-1].split(",")[:2])
            scale *= (a * a + b * b) ** 0.5
        style = element.get("style", "")
        colour = re.search(r"fill:\s*(#[0-9a-fA-F]{6})", style)
        fill = colour.group(1).lower() if colour else fill
        if element.tag.endswith("text"):
            size = re.search(r"font-size:\s*([\d.]+)px", style)
            assert size is not None, f"text {element.text!r} has no font size"
            found.append((element.text or "", float(size.group(1)) * scale, fill))
        for child in element:
            walk(child, scale, fill)

    walk(ET.fromstring(re.sub(r"^<\?xml[^>]*\?>\s*", "", svg)), 1.0, "#000000")
    return found


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_figure_text_is_at_least_11px_and_contrasts_4_5_to_1(name: str) -> None:
    texts = _texts(drawn(name).svg)
    assert texts, f"{name}: no text found"
    small = [(text, round(px, 2)) for text, px, _ in texts if px < MIN_TEXT_PX - 1e-6]
    assert not small, f"{name}: text under {MIN_TEXT_PX} px: {small[:5]}"
    # Figures sit on a white card in both themes; ghost cells are GHOST grey.
    faint = {
        (text, fill, round(min(_contrast(fill, "#ffffff"), _contrast(fill, GHOST)), 2))
        for text, _, fill in texts
        if min(_contrast(fill, "#ffffff"), _contrast(fill, GHOST)) < MIN_CONTRAST
    }
    assert not faint, f"{name}: text below {MIN_CONTRAST}:1 contrast: {sorted(faint)[:5]}"


def test_the_legibility_check_catches_small_and_faint_text() -> None:
    from minitorch.drawing.canvas import cell, label

    small = render_svg(label("tiny", 0, 0, size=0.2), "small text")
    assert [round(px, 1) for _, px, _ in _texts(small)] == [8.0]
    faint = render_svg(label("grey", 0, 0, colour=Color("#8a8a8a")), "faint text")
    assert _contrast(_texts(faint)[0][2], "#ffffff") < MIN_CONTRAST
    _, px, fill = _texts(render_svg(cell("7", 0, 0), "a cell"))[0]
    assert (round(px, 6), fill) == (14.4, "#1a1a1a")


# Each figure's highlighted cell, as the alt text (and the page around it) names it.
# A number stated in the alt text may appear elsewhere in a figure (37 is in the
# output row wherever the window is), so the cell itself is pinned here.
@pytest.mark.parametrize(
    ("name", "attribute", "cell", "phrase"),
    [
        ("conv1d", "position", 4, "output[4] = "),
        ("conv1d", "window", (4, 5, 6), "input positions 4, 5 and 6"),
        ("convvec", "position", 4, "Row 4, [5, 6, 0]"),
        ("conv1dback", "position", 2, "grad_input[2] = "),
        ("conv1dback", "window", (0, 1, 2), "takes d[0], d[1] and d[2]"),
        ("conv1dback2", "tap", 1, "grad_weight[1] multiplies"),
        ("channels", "cell", (1, 2), "Output cell [1, 2] "),
        ("backward", "cell", (1, 2), "cell [1, 2] = 6"),
        ("conv2", "cell", (1, 1, 2), "Output cell [1, 1, 2] "),
        ("broadcast", "cell", (2, 1), "c[2, 1] = 23"),
        ("broadcast", "sources", ((2, 0), (1,)), "from a[2, 0] = 3 and b[1] = 20"),
        ("strides", "pairs", (((1, 2), (2, 1), 5), ((0, 1), (1, 0), 1)), "position 5"),
        ("conv", "corners", ((0, 0), (1, 3), (3, 1)), "three coloured 2 x 2 windows"),
    ],
)
def test_the_highlighted_cell_is_the_one_the_alt_text_names(
    name: str, attribute: str, cell: object, phrase: str
) -> None:
    assert getattr(drawn(name).facts, attribute) == cell
    assert phrase in REGISTRY[name].alt


def _all_numbers(facts: object) -> list[float]:
    found: list[float] = []

    def walk(value: object) -> None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            found.append(float(value))
        elif isinstance(value, tuple | list):
            for item in value:
                walk(item)

    for field in vars(facts).values():
        walk(field)
    return found


# --------------------------------------------------- what the figures show
def _padded(values: np.ndarray, extra: int) -> np.ndarray:
    return np.concatenate([values, np.zeros(extra)])


def test_conv1d_highlights_exactly_the_window_of_its_output_cell() -> None:
    f = drawn("conv1d").facts
    x, w = np.array(f.input), np.array(f.weight)
    T, K, t = len(x), len(w), f.position
    # Which inputs does output[t] read? Ask autodiff, not the drawing code.
    inp = minitorch.tensor(x.tolist(), requires_grad=True)
    # The book's convolution: same length, zeros after the end.
    out = minitorch.conv1d(
        inp.view(1, 1, T), minitorch.tensor(w.tolist()).view(1, 1, K), padding=((0, K - 1),)
    )
    mask = np.zeros((1, 1, T))
    mask[0, 0, t] = 1.0
    out.backward(minitorch.from_numpy(mask))
    assert inp.grad is not None
    read = tuple(int(p) for p in np.nonzero(inp.grad.to_numpy())[0])
    assert tuple(p for p in f.window if p < T) == read
    assert f.ghosts == tuple(p for p in f.window if p >= T) == (6,)
    assert f.window == tuple(range(t, t + K))
    assert f.output[t] == pytest.approx(float(w @ _padded(x, K - 1)[t : t + K])) == 37.0
    assert f.output == (18.0, 28.0, 38.0, 48.0, 37.0, 30.0)


def test_conv_windows_and_output_cells_pair_up() -> None:
    f = drawn("conv").facts
    image, weight, output = np.array(f.image), np.array(f.weight), np.array(f.output)
    KH, KW = weight.shape
    padded = np.zeros((image.shape[0] + KH - 1, image.shape[1] + KW - 1))
    padded[: image.shape[0], : image.shape[1]] = image
    assert len(set(f.corners)) == len(f.corners) == 3
    for (i, j), cells in zip(f.corners, f.windows, strict=True):
        assert set(cells) == {(i + u, j + v) for u in range(KH) for v in range(KW)}
        assert output[i, j] == pytest.approx(
            float((padded[i : i + KH, j : j + KW] * weight).sum())
        )


def test_convvec_rows_are_windows_and_ghosts_lie_past_the_end() -> None:
    f = drawn("convvec").facts
    unrolled, w = np.array(f.unrolled), np.array(f.weight)
    T, K = unrolled.shape
    x = unrolled[:, 0]
    padded = _padded(x, K - 1)
    for t in range(T):
        assert unrolled[t].tolist() == padded[t : t + K].tolist()
    assert set(f.ghosts) == {(t, k) for t in range(T) for k in range(K) if t + k >= T}
    assert all(unrolled[c] == 0 for c in f.ghosts)
    assert f.output == drawn("conv1d").facts.output
    assert np.allclose(unrolled @ w, f.output)


def test_conv1dback_highlights_the_outputs_that_read_the_input_cell() -> None:
    f = drawn("conv1dback").facts
    d, w = np.array(f.grad_output), np.array(f.weight)
    T, K, t = len(d), len(w), f.position
    assert t == 2 and f.window == (0, 1, 2) and f.ghosts == ()
    # output[o] reads input[t] exactly when o is in the window.
    readers = []
    for o in range(T):
        inp = minitorch.tensor([1.0] * T, requires_grad=True)
        out = minitorch.conv1d(
            inp.view(1, 1, T), minitorch.tensor(w.tolist()).view(1, 1, K), padding=((0, K - 1),)
        )
        mask = np.zeros((1, 1, T))
        mask[0, 0, o] = 1.0
        out.backward(minitorch.from_numpy(mask))
        assert inp.grad is not None
        if inp.grad[t] != 0:
            readers.append(o)
    assert tuple(readers) == f.window
    assert f.grad_input[t] == pytest.approx(w[0] * d[2] + w[1] * d[1] + w[2] * d[0])
    reference = [sum(w[k] * d[s - k] for k in range(K) if 0 <= s - k < T) for s in range(T)]
    assert np.allclose(f.grad_input, reference)


def test_conv1dback2_pairs_input_shifted_by_k_with_the_gradient() -> None:
    f = drawn("conv1dback2").facts
    x, d = np.array(f.input), np.array(f.grad_output)
    T, K, k = len(x), len(f.grad_weight), f.tap
    assert f.pairs == tuple((t + k, t) for t in range(T))
    padded = _padded(x, K - 1)
    assert f.grad_weight[k] == pytest.approx(sum(padded[i] * d[t] for i, t in f.pairs))
    reference = [float(padded[j : j + T] @ d) for j in range(K)]
    assert np.allclose(f.grad_weight, reference)


def test_channels_window_spans_every_input_channel() -> None:
    f = drawn("channels").facts
    x, w, out = np.array(f.input), np.array(f.weight), np.array(f.output)
    assert x.shape == (2, 8) and w.shape == (3, 2, 3) and out.shape == (3, 8)
    o, t = f.cell
    in_channels, K = w.shape[1], w.shape[2]
    assert set(f.window) == {(i, t + k) for i in range(in_channels) for k in range(K)}
    assert set(f.weights) == {(o, i, k) for i in range(in_channels) for k in range(K)}
    padded = np.concatenate([x, np.zeros((in_channels, K - 1))], axis=1)
    assert out[o, t] == pytest.approx(float((w[o] * padded[:, t : t + K]).sum()))


def test_backward_window_ends_at_the_gradient_cell() -> None:
    f = drawn("backward").facts
    d, w, grad = np.array(f.grad_output), np.array(f.weight), np.array(f.grad_input)
    KH, KW = w.shape
    h, c = f.cell
    assert set(f.window) == {(h - u, c - v) for u in range(KH) for v in range(KW)}
    assert max(f.window) == (h, c), "anchored bottom-right: the window ends at the cell"
    expected = sum(
        w[u, v] * d[i, j]
        for u in range(KH)
        for v in range(KW)
        for i, j in [(h - u, c - v)]
        if i >= 0 and j >= 0
    )
    assert grad[h, c] == pytest.approx(expected)


def test_conv2_window_and_value() -> None:
    f = drawn("conv2").facts
    x, w, out = np.array(f.input), np.array(f.weight), np.array(f.output)
    assert x.shape == (2, 4, 4) and w.shape == (3, 2, 2, 2) and out.shape == (3, 4, 4)
    o, h, c = f.cell
    in_channels, KH, KW = w.shape[1:]
    assert set(f.window) == {
        (i, h + u, c + v) for i in range(in_channels) for u in range(KH) for v in range(KW)
    }
    assert out[o, h, c] == pytest.approx(float((w[o] * x[:, h : h + KH, c : c + KW]).sum()))


def test_networkcnn_stages_are_digitscnn_s_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """The figure's stages, labels and scores are those of the digits page's network."""
    from minitorch.examples.digits import DigitsCNN
    from minitorch.modules import Module

    f = drawn("networkcnn").facts
    data = minitorch.datasets.load_digits()
    image = minitorch.from_numpy(data.train_inputs.to_numpy()[:1])
    assert f.digit == int(data.train_labels.to_numpy()[0])
    # Record each layer's output while DigitsCNN.forward itself runs.
    seen: list[tuple[int, ...]] = [image.shape]
    call, pool = Module.__call__, minitorch.nn.max_pool2d

    def recorded_call(module: Module, *inputs: minitorch.Tensor) -> minitorch.Tensor:
        out = call(module, *inputs)
        if not isinstance(module, DigitsCNN):
            seen.extend([inputs[0].shape, out.shape] if module is model.out else [out.shape])
        return out

    def recorded_pool(t: minitorch.Tensor, kernel: int) -> minitorch.Tensor:
        out = pool(t, kernel)
        seen.append(out.shape)
        return out

    model = DigitsCNN(seed=0)
    model.eval()
    monkeypatch.setattr(Module, "__call__", recorded_call)
    monkeypatch.setattr(minitorch.nn, "max_pool2d", recorded_pool)
    scores = model(image)
    monkeypatch.undo()
    # input, conv1, pool, conv2, pool, the Linear layer's input (flat) and output
    assert [shape for _, shape in f.stages] == seen
    assert seen[-1] == (1, 10) and seen[-2] == (1, model.out.in_features)
    assert f.scores == pytest.approx(scores.to_numpy().ravel().tolist())
    # Each stage's name is read from its shape, and both are written in the figure.
    texts = {text for text, _, _ in _texts(drawn("networkcnn").svg)}
    for name, shape in zip(f.names, seen, strict=True):
        count = (
            "class scores" if shape == seen[-1] else "channel" if len(shape) == 4 else "features"
        )
        assert name.startswith(f"{shape[1]} {count}"), (name, shape)
        assert {name, str(shape).replace(" ", "")} <= texts, (name, shape)
    for shape in seen[1:5]:
        assert str(shape) in REGISTRY["networkcnn"].alt, f"the alt text names {shape}"


def test_strides_positions_agree_with_the_tensor() -> None:
    f = drawn("strides").facts
    t = minitorch.tensor(np.array(f.storage).reshape(f.shape).tolist())
    p = t.permute(1, 0)
    assert (f.strides, f.permuted_strides) == (t.strides, p.strides) == ((3, 1), (1, 3))
    for index, permuted, position in f.pairs:
        assert permuted == index[::-1]
        assert position == int(np.dot(index, f.strides)) == int(np.dot(permuted, p.strides))
        assert f.storage[position] == t[index] == p[permuted]


def test_broadcast_highlights_the_two_sources_of_the_cell() -> None:
    f = drawn("broadcast").facts
    a, b, c = np.array(f.a), np.array(f.b), np.array(f.result)
    assert np.allclose(a + b, c)
    (source_a, source_b), (i, j) = f.sources, f.cell
    assert source_a == (i, 0) and source_b == (j,)
    assert c[i, j] == a[source_a] + b[source_b]


def test_autodiff_graph_is_the_history_of_the_expression() -> None:
    f = drawn("autodiff_graph").facts
    assert set(f.edges) == {
        ("x", "Mul"),
        ("y", "Mul"),
        ("Mul", "Add"),
        ("x", "Add"),
        ("Add", "Sum"),
    }
    assert set(f.nodes) == {"x", "y", "Mul", "Add", "Sum"}
    grads = dict(f.grads)
    assert grads["x"] == (4.0, 5.0)  # y + 1
    assert grads["y"] == (1.0, 2.0)  # x


def test_tile_blocks_partition_the_image_and_pool_to_their_means() -> None:
    f = drawn("tile").facts
    image, pooled = np.array(f.image), np.array(f.pooled)
    kh, kw = f.kernel
    covered = [c for _, cells, _ in f.tiles for c in cells]
    assert sorted(covered) == [
        (i, j) for i in range(image.shape[0]) for j in range(image.shape[1])
    ]
    for (i, j), cells, values in f.tiles:
        assert set(cells) == {(i * kh + u, j * kw + v) for u in range(kh) for v in range(kw)}
        assert list(values) == [image[c] for c in cells]
        assert pooled[i, j] == pytest.approx(np.mean(values))


# ------------------------------------------------------------------- the book
FIGURE_CALL = re.compile(r'\bfigure\("([a-z0-9_]+)"\)')


def test_the_book_shows_every_registered_figure_and_only_those() -> None:
    pages = sorted(p for p in BOOK.rglob("*.md") if "_static" not in p.parts)
    if not pages:
        pytest.skip("book/ has no pages yet")
    used = {name for page in pages for name in FIGURE_CALL.findall(page.read_text())}
    unknown = used - set(REGISTRY)
    unused = set(REGISTRY) - used
    assert not unknown, f'the book calls figure("...") for unregistered figures: {sorted(unknown)}'
    assert not unused, (
        f'registered figures the book never shows with figure("name"): {sorted(unused)}'
    )


# ------------------------------------------------------------- any tensor
def test_show_tensor_draws_rows_grids_and_channel_stacks() -> None:
    from minitorch.drawing import show_tensor
    from minitorch.drawing.canvas import ORANGE

    cube = minitorch.tensor(np.arange(12.0).reshape(2, 2, 3).tolist())
    pic = show_tensor(cube, "two channels of a 2 x 3 grid", "x", {(1, 0, 2): ORANGE})
    assert pic.facts == (((0.0, 1.0, 2.0), (3.0, 4.0, 5.0)), ((6.0, 7.0, 8.0), (9.0, 10.0, 11.0)))
    assert pic._repr_mimebundle_() == {"image/svg+xml": pic.svg}
    # every value, the shape, the name and a [c] for each channel
    assert pic.svg.count("</text>") == 12 + 2 + 2
    assert show_tensor(minitorch.tensor([1, 2, 3]), "a row").facts == (1.0, 2.0, 3.0)
    with pytest.raises(minitorch.ShapeError, match="1, 2 or 3 dimensions"):
        show_tensor(minitorch.zeros((1, 1, 1, 1)), "four dimensions")


# ------------------------------------------------------------------ layering
def test_chalk_is_imported_only_inside_the_drawing_package() -> None:
    src = ROOT / "src" / "minitorch"
    importers = {
        path.relative_to(src).as_posix()
        for path in src.rglob("*.py")
        if re.search(r"^\s*(import chalk|from chalk)", path.read_text(), re.MULTILINE)
    }
    assert importers and all(p.startswith("drawing/") for p in importers), importers


def test_importing_minitorch_does_not_import_chalk() -> None:
    import subprocess
    import sys

    code = "import sys, minitorch; print('chalk' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
