"""WMS GetLegendGraphic: a PNG drawn with Pillow from the same legend entries as the JSON
legend (tiles.styles), Vietnamese labels in DejaVu Sans (it has every Vietnamese glyph).
"""

from __future__ import annotations

import io
from functools import cache

from django.utils import translation
from PIL import Image, ImageDraw, ImageFont

from tiles import datasource, styles

FONT_PATH = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
FONT_SIZE = 12
ROW = 20
SWATCH = (18, 12)
PAD = 4
MAX_WIDTH = 800


@cache
def font() -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(FONT_PATH, FONT_SIZE)
    except OSError:  # a machine without DejaVu still gets a (Latin-only) legend
        return ImageFont.load_default()


def entries(kinds: tuple[str, ...], language: str = "vi") -> list[dict[str, str]]:
    """The legend entries of a layer's kinds in `language`, as the JSON legend lists them
    (land-use categories limited to those the plans in force use)."""
    with translation.override(language):
        model = styles.load_styles(language)
    return styles.legend(model, kinds, datasource.used_categories())


def size(rows: list[dict[str, str]]) -> tuple[int, int]:
    face = font()
    text_width = max((int(face.getlength(r["label"])) for r in rows), default=0)
    width = min(MAX_WIDTH, PAD * 3 + SWATCH[0] + text_width)
    return max(width, 1), max(ROW * len(rows) + PAD, 1)


def png(rows: list[dict[str, str]], *, transparent: bool = True) -> bytes:
    """One row per entry: a colour swatch (filled, or a line for stroke-only kinds) and label."""
    width, height = size(rows)
    background = (255, 255, 255, 0 if transparent else 255)
    image = Image.new("RGBA", (width, height), background)
    draw = ImageDraw.Draw(image)
    face = font()
    for index, row in enumerate(rows):
        top = PAD + index * ROW
        box = (PAD, top + 3, PAD + SWATCH[0], top + 3 + SWATCH[1])
        draw.rectangle(box, fill=row["colour"], outline="#666666")
        draw.text((PAD * 2 + SWATCH[0], top + 2), row["label"], fill="#000000", font=face)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
