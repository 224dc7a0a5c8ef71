"""Checks of an uploaded image made from its bytes alone, before GDAL reads any pixel.

The format is decided by magic bytes, never by the file name: a VRT, an XML document or
anything else renamed to .tif is refused here, so GDAL never gets to follow references
to other files or URLs. For TIFF every image file directory is walked with struct (classic
and BigTIFF): the declared size must stay under PLANNING_RASTER_MAX_PIXELS, the bands under
MAX_BANDS, the samples once decoded (width × height × bands × bytes per sample) under
PLANNING_RASTER_MAX_UNCOMPRESSED_MB, and every strip or tile must lie inside the file (a
truncated TIFF is refused). Sparse TIFFs (blocks left unwritten) are legal, so a tiny file
may declare gigabytes of samples: the byte limit is what bounds the work of decoding it.
JPEG and PNG are checked for their declared size, bands and end marker.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
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
# The renderer (tiles/raster_layers.py) draws grey, grey + alpha, RGB and RGBA images and one
# band of values through a colour ramp: no raster needs more than four bands.
MAX_BANDS = 4
_TAG_WIDTH, _TAG_HEIGHT = 256, 257
_TAG_BITS_PER_SAMPLE, _TAG_SAMPLES_PER_PIXEL = 258, 277
_TAG_STRIP_OFFSETS, _TAG_STRIP_COUNTS = 273, 279
_TAG_TILE_OFFSETS, _TAG_TILE_COUNTS = 324, 325
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 16: 8}
_TYPE_FORMATS = {1: "B", 3: "H", 4: "I", 16: "Q", 6: "b", 8: "h", 9: "i", 17: "q"}


@dataclass(frozen=True)
class ImageHeader:
    format: str  # tiff | jpeg | png
    width: int
    height: int
    bands: int = field(default=1, compare=False)
    sample_bytes: int = field(default=1, compare=False)  # once decoded (1-bit → 1 byte)

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
            header = _tiff_header(path)
        elif fmt == "jpeg":
            header = _jpeg_header(data, path.name)
        else:
            header = _png_header(data, path.name)
    except (struct.error, IndexError, KeyError, ValueError, OverflowError) as exc:
        raise truncated(path.name) from exc
    check_size(path.name, header.width, header.height, header.bands, header.sample_bytes)
    return header


def check_size(name: str, width: int, height: int, bands: int = 1, sample_bytes: int = 1) -> None:
    """Refuse an image whose declared pixels, bands or decoded samples exceed the limits."""
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
    check_bands(name, bands)
    if uncompressed_bytes(width, height, bands, sample_bytes) > max_uncompressed_bytes():
        raise InvalidInput(
            _(
                "%(name)s declares %(width)d × %(height)d pixels of %(bands)d band(s) of "
                "%(bytes)d byte(s): %(size)d MB once decoded, more than the %(limit)d MB a "
                "raster may have."
            )
            % {
                "name": name,
                "width": width,
                "height": height,
                "bands": bands,
                "bytes": sample_bytes,
                "size": megabytes(uncompressed_bytes(width, height, bands, sample_bytes)),
                "limit": megabytes(max_uncompressed_bytes()),
            }
        )


def check_bands(name: str, bands: int) -> None:
    if not 1 <= bands <= MAX_BANDS:
        raise InvalidInput(
            _(
                "%(name)s has %(bands)d bands; a raster may have 1 to %(max)d (grey, RGB or "
                "RGBA, or one band of values such as elevations)."
            )
            % {"name": name, "bands": bands, "max": MAX_BANDS}
        )


def uncompressed_bytes(width: int, height: int, bands: int, sample_bytes: int) -> int:
    return width * height * bands * sample_bytes


def max_uncompressed_bytes() -> int:
    return int(settings.PLANNING_RASTER_MAX_UNCOMPRESSED_BYTES)


def megabytes(size: int) -> int:
    return -(-size // (1024 * 1024))  # rounded up: a size just over the limit never reads equal


def _sample_bytes(bits: int) -> int:
    """Bytes per decoded sample: GDAL expands 1 to 7 bits to a byte, 12 bits to two."""
    if not 1 <= bits <= 64:
        raise ValueError("bad sample size")
    return 1 << max(0, (bits - 1).bit_length() - 3)


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


def _tiff_header(path: Path) -> ImageHeader:
    """Size, bands and sample size of the first image; every directory (overviews, masks)
    must stay within the limits and have its data in the file."""
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
            header = ImageHeader(
                "tiff",
                tags[_TAG_WIDTH][0],
                tags[_TAG_HEIGHT][0],
                tags.get(_TAG_SAMPLES_PER_PIXEL, (1,))[0],
                _sample_bytes(max(tags.get(_TAG_BITS_PER_SAMPLE, (1,)))),
            )
            check_size(path.name, header.width, header.height, header.bands, header.sample_bytes)
            _check_blocks(tags, size, path.name)
            if first is None:
                first = header
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


def _jpeg_header(data: bytes, name: str) -> ImageHeader:
    position = 2
    header: ImageHeader | None = None
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            raise ValueError("bad marker")
        marker = data[position + 1]
        if marker == 0xFF:
            position += 1
            continue
        length = struct.unpack(">H", data[position + 2 : position + 4])[0]
        if marker in _SOF_MARKERS:
            precision, height, width, components = struct.unpack(
                ">BHHB", data[position + 4 : position + 10]
            )
            header = ImageHeader("jpeg", width, height, components, _sample_bytes(precision))
            break
        position += 2 + length
    if header is None:
        raise ValueError("no frame header")
    if b"\xff\xd9" not in data[-4096:]:
        raise truncated(name)
    return header


_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # by colour type: grey, RGB, palette, grey+α, RGBA


def _png_header(data: bytes, name: str) -> ImageHeader:
    if data[12:16] != b"IHDR":
        raise ValueError("no IHDR")
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    if b"IEND" not in data[-64:]:
        raise truncated(name)
    return ImageHeader("png", width, height, _PNG_CHANNELS[colour], _sample_bytes(depth))
