"""Turn a chalk diagram into SVG text, normalise SVG for comparison, rasterise it for a look.

chalk's own ``render_svg`` writes a file, adds a marker whose id (``arrow``)
is the same in every figure, and asks the viewer to keep strokes one pixel
wide whatever the scale (``vector-effect: non-scaling-stroke``), which
cairosvg ignores. :func:`render_svg` instead serialises chalk's SVG elements
itself: a white background rectangle first (the figure stays legible in a
dark theme), strokes in drawing units (the same in browsers and cairosvg),
a ``viewBox`` (the image scales with the page), a ``<title>`` with the alt
text, numbers rounded to three decimals and one element a line, so that a
change to a figure reads as a small diff of the committed file.
"""

from __future__ import annotations

import io
import math
import re
import xml.etree.ElementTree as ET

import svgwrite
from chalk import Diagram
from chalk.backend.svg import to_svg
from chalk.style import Style
from chalk.transform import unit_x, unit_y
from PIL import Image, ImageDraw

# Pixels per cell unit: a cell is 40 px wide, a value in it is about 14 px tall.
PX_PER_UNIT = 40.0
MARGIN = 0.4
HEADER = '<?xml version="1.0" encoding="utf-8" ?>\n'

# A number in an attribute: not part of a word or a colour such as #1e5b40.
NUMBER = re.compile(r"(?<![\w#.])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\d.])")
# Attribute values that change nothing: an empty style, an identity transform.
IDENTITY = {"", "matrix(1, 0, 0, 1, 0, 0)", "translate(0, 0)"}
ATTRIBUTE = re.compile(r'="([^"]*)"')


def _round_numbers(text: str, digits: int) -> str:
    def short(match: re.Match[str]) -> str:
        value = round(float(match.group(0)), digits)
        written = f"{value:.{digits}f}".rstrip("0").rstrip(".")
        return "0" if written in ("-0", "") else written

    return NUMBER.sub(short, text)


def _tidy(value: str) -> str:
    value = value.replace("vector-effect: non-scaling-stroke;", "")
    return " ".join(value.split())


def _prune(parent: ET.Element) -> None:
    """Drop the empty groups chalk writes for struts and spacers (they draw nothing)."""
    for child in list(parent):
        _prune(child)
        if child.tag in ("g", "defs") and len(child) == 0:
            parent.remove(child)


def render_svg(diagram: Diagram, title: str) -> str:
    """The SVG text of ``diagram`` on a white background, titled with its alt text.

    Args:
        diagram: a chalk diagram laid out in cell units.
        title: what the figure shows (its alt text).

    Returns:
        An SVG document, one element a line, numbers rounded to 3 decimals.

    >>> from minitorch.drawing.canvas import cell
    >>> svg = render_svg(cell("7", 0, 0), "one cell holding 7")
    >>> svg.splitlines()[1][:45]
    '<svg baseProfile="full" height="72" version="'
    >>> "<title>one cell holding 7</title>" in svg, ">7</text>" in svg
    (True, True)

    """
    envelope = diagram.get_envelope()
    left, top = -envelope(-unit_x), -envelope(-unit_y)
    right, bottom = envelope(unit_x), envelope(unit_y)
    width = math.ceil((right - left + 2 * MARGIN) * PX_PER_UNIT)
    height = math.ceil((bottom - top + 2 * MARGIN) * PX_PER_UNIT)
    placed = diagram.translate(MARGIN - left, MARGIN - top).scale(PX_PER_UNIT)

    drawing = svgwrite.Drawing(size=(width, height), viewBox=f"0 0 {width} {height}")
    drawing.set_desc(title=title)
    drawing.add(drawing.rect(insert=(0, 0), size=(width, height), fill="#ffffff"))
    # output_size only scales strokes left at chalk's default width; every
    # shape drawn by minitorch.drawing sets its own width in drawing units.
    drawing.add(to_svg(placed, drawing, Style.root(output_size=PX_PER_UNIT)))

    root = drawing.get_xml()
    _prune(root)
    for element in root.iter():
        for key, value in list(element.attrib.items()):
            tidy = _round_numbers(_tidy(value), 3)
            if tidy in IDENTITY:
                del element.attrib[key]
            else:
                element.attrib[key] = tidy
    ET.indent(root, space="")
    return HEADER + ET.tostring(root, encoding="unicode") + "\n"


def normalise_svg(svg: str, digits: int = 2) -> str:
    r"""SVG text without its XML header, every number in an attribute rounded to ``digits``.

    Two renderings that differ only in the last digits of a coordinate
    normalise to the same text; a changed value, colour or shape does not.

    >>> normalise_svg('<?xml version="1.0" ?>\n<g transform="translate(0.123456, -0.0001)">0.5</g>')
    '<g transform="translate(0.12, 0)">0.5</g>'
    """
    text = re.sub(r"^<\?xml[^>]*\?>\s*", "", svg.strip())
    lines = ATTRIBUTE.sub(lambda m: f'="{_round_numbers(m.group(1), digits)}"', text)
    return "\n".join(line.rstrip() for line in lines.splitlines())


def rasterise(svg: str, scale: float = 1.0) -> Image.Image:
    """Draw SVG text into a Pillow image with cairosvg (no pycairo needed).

    >>> from minitorch.drawing.canvas import cell
    >>> rasterise(render_svg(cell("7", 0, 0), "a cell")).size
    (72, 72)
    """
    import cairosvg

    png = cairosvg.svg2png(bytestring=svg.encode("utf-8"), scale=scale)
    return Image.open(io.BytesIO(png)).convert("RGB")


def side_by_side(old_svg: str, new_svg: str, left: str = "old", right: str = "new") -> Image.Image:
    """Two SVGs rasterised on one white sheet, each headed by its name.

    They sit next to each other, or one above the other when the figures are
    wide (more than twice as wide as tall), so the sheet stays easy to view.

    >>> from minitorch.drawing.canvas import cell
    >>> svg = render_svg(cell("7", 0, 0), "a cell")
    >>> side_by_side(svg, svg).size
    (164, 92)

    """
    images = [rasterise(old_svg), rasterise(new_svg)]
    gap, head = 20, 20
    stacked = images[0].width > 2 * images[0].height
    if stacked:
        width = max(image.width for image in images)
        height = sum(image.height + head for image in images) + gap
    else:
        width = sum(image.width for image in images) + gap
        height = max(image.height for image in images) + head
    sheet = Image.new("RGB", (width, height), "white")
    pen = ImageDraw.Draw(sheet)
    x = y = 0
    for image, name in zip(images, (left, right), strict=True):
        pen.text((x + 4, y + 4), name, fill="black")
        sheet.paste(image, (x, y + head))
        if stacked:
            y += image.height + head + gap
        else:
            x += image.width + gap
    return sheet
