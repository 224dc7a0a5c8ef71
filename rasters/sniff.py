"""Checks of an uploaded image made from its bytes alone, before GDAL reads any pixel.

The format is decided by magic bytes, never by the file name: a VRT, an XML document or
anything else renamed to .tif is refused here, so GDAL never gets to follow references
to other files or URLs. For TIFF every image file directory is walked with struct (classic
and BigTIFF): the declared size must stay under PLANNING_RASTER_MAX_PIXELS and every strip
or tile must lie inside the file (a truncated TIFF is refused). JPEG and PNG are checked
for their declared size and their end marker.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from planning.errors import InvalidInput

TIFF_MAGICS = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# GDAL driver per detected format: rasterio opens the file with this driver only.
DRIVERS = {"tiff": "GTiff", "jpeg": "JPEG", "png": "PNG"}
MAX_IFDS = 64
MAX_ENTRIES = 4096
_TAG_WIDTH, _TAG_HEIGHT = 256, 257
_TAG_STRIP_OFFSETS, _TAG_STRIP_COUNTS = 273, 279
_TAG_TILE_OFFSETS, _TAG_TILE_COUNTS = 324, 325
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 16: 8}
_TYPE_FORMATS = {1: "B", 3: "H", 4: "I", 16: "Q", 6: "b", 8: "h", 9: "i", 17: "q"}


@dataclass(frozen=True)
class ImageHeader:
    format: str  # tiff | jpeg | png
    width: int
    height: int

    @property
    def driver(self) -> str:
        return DRIVERS[self.format]


def not_an_image(name: str) -> InvalidInput:
    return InvalidInput(
        _(
            "%(name)s is not a TIFF, JPEG or PNG image (its content says otherwise, "
            "whatever its name)."
        )
        % {"name": name}
    )


def truncated(name: str) -> InvalidInput:
    return InvalidInput(
        _("%(name)s is truncated or corrupt: its image data ends before the file does.")
        % {"name": name}
    )


def detect_format(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(8)
    if head[:4] in TIFF_MAGICS:
        return "tiff"
    if head[:3] == JPEG_MAGIC:
        return "jpeg"
    if head == PNG_MAGIC:
        return "png"
    raise not_an_image(path.name)


def check_image(path: Path) -> ImageHeader:
    """The format and declared size of an image, refused if hostile or broken."""
    fmt = detect_format(path)
    data = path.read_bytes() if fmt != "tiff" else b""
    try:
        if fmt == "tiff":
            width, height = _tiff_size(path)
        elif fmt == "jpeg":
            width, height = _jpeg_size(data, path.name)
        else:
            width, height = _png_size(data, path.name)
    except (struct.error, IndexError, KeyError, ValueError, OverflowError) as exc:
        raise truncated(path.name) from exc
    check_size(path.name, width, height)
    return ImageHeader(fmt, width, height)


def check_size(name: str, width: int, height: int) -> None:
    limit = settings.PLANNING_RASTER_MAX_PIXELS
    if width < 1 or height < 1:
        raise InvalidInput(_("%(name)s declares an empty image.") % {"name": name})
    if width * height > limit:
        raise InvalidInput(
            _(
                "%(name)s declares %(width)d × %(height)d pixels, more than the %(limit)d "
                "pixels a raster may have."
            )
            % {"name": name, "width": width, "height": height, "limit": limit}
        )


# --- TIFF ------------------------------------------------------------------------------


class _TiffReader:
    def __init__(self, handle, size: int) -> None:
        self.handle = handle
        self.size = size
        magic = handle.read(4)
        self.order = "<" if magic[:2] == b"II" else ">"
        self.big = magic[2:4] in (b"+\x00", b"\x00+")
        if self.big:
            offset_size, _zero = self.unpack("HH", handle.read(4))
            if offset_size != 8:
                raise ValueError("bad BigTIFF header")
            self.first_ifd = self.unpack("Q", handle.read(8))[0]
        else:
            self.first_ifd = self.unpack("I", handle.read(4))[0]

    def unpack(self, fmt: str, data: bytes) -> tuple:
        return struct.unpack(self.order + fmt, data)

    def read_at(self, offset: int, length: int) -> bytes:
        if offset < 0 or offset + length > self.size:
            raise ValueError("outside the file")
        self.handle.seek(offset)
        data = self.handle.read(length)
        if len(data) != length:
            raise ValueError("short read")
        return data

    def ifd(self, offset: int) -> tuple[dict[int, tuple[int, ...]], int]:
        """The tags of the directory at `offset` (integer values only) and the next offset."""
        count_fmt, entry_size, value_size = ("Q", 20, 8) if self.big else ("H", 12, 4)
        count = self.unpack(count_fmt, self.read_at(offset, struct.calcsize(count_fmt)))[0]
        if count > MAX_ENTRIES:
            raise ValueError("too many entries")
        start = offset + struct.calcsize(count_fmt)
        table = self.read_at(start, count * entry_size)
        tags: dict[int, tuple[int, ...]] = {}
        for index in range(count):
            entry = table[index * entry_size : (index + 1) * entry_size]
            tag, kind = self.unpack("HH", entry[:4])
            number = self.unpack("Q" if self.big else "I", entry[4 : 4 + value_size])[0]
            raw = entry[4 + value_size :]
            fmt = _TYPE_FORMATS.get(kind)
            if fmt is None:
                continue
            length = _TYPE_SIZES[kind] * number
            if length > value_size:
                pointer = self.unpack("Q" if self.big else "I", raw)[0]
                raw = self.read_at(pointer, length)
            tags[tag] = self.unpack(f"{number}{fmt}", raw[:length])
        next_fmt = "Q" if self.big else "I"
        next_at = start + count * entry_size
        following = self.unpack(next_fmt, self.read_at(next_at, struct.calcsize(next_fmt)))[0]
        return tags, following


def _tiff_size(path: Path) -> tuple[int, int]:
    """Width and height of the first image; every directory's data must be in the file."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        reader = _TiffReader(handle, size)
        offset, first = reader.first_ifd, None
        seen: set[int] = set()
        while offset and len(seen) < MAX_IFDS:
            if offset in seen:
                raise ValueError("directory loop")
            seen.add(offset)
            tags, offset = reader.ifd(offset)
            width, height = tags[_TAG_WIDTH][0], tags[_TAG_HEIGHT][0]
            check_size(path.name, width, height)
            _check_blocks(tags, size, path.name)
            if first is None:
                first = (width, height)
    if first is None:
        raise ValueError("no image directory")
    return first


def _check_blocks(tags: dict[int, tuple[int, ...]], size: int, name: str) -> None:
    offsets = tags.get(_TAG_TILE_OFFSETS) or tags.get(_TAG_STRIP_OFFSETS)
    counts = tags.get(_TAG_TILE_COUNTS) or tags.get(_TAG_STRIP_COUNTS)
    if not offsets or not counts or len(offsets) != len(counts):
        raise truncated(name)
    # Sparse files leave unwritten blocks at offset 0 and count 0.
    if any(off + cnt > size for off, cnt in zip(offsets, counts, strict=True) if cnt):
        raise truncated(name)


# --- JPEG and PNG -----------------------------------------------------------------------

_SOF_MARKERS = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg_size(data: bytes, name: str) -> tuple[int, int]:
    position = 2
    size: tuple[int, int] | None = None
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            raise ValueError("bad marker")
        marker = data[position + 1]
        if marker == 0xFF:
            position += 1
            continue
        length = struct.unpack(">H", data[position + 2 : position + 4])[0]
        if marker in _SOF_MARKERS:
            height, width = struct.unpack(">HH", data[position + 5 : position + 9])
            size = (width, height)
            break
        position += 2 + length
    if size is None:
        raise ValueError("no frame header")
    if b"\xff\xd9" not in data[-4096:]:
        raise truncated(name)
    return size


def _png_size(data: bytes, name: str) -> tuple[int, int]:
    if data[12:16] != b"IHDR":
        raise ValueError("no IHDR")
    width, height = struct.unpack(">II", data[16:24])
    if b"IEND" not in data[-64:]:
        raise truncated(name)
    return width, height
