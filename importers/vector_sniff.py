"""Checks of an uploaded vector file made from its bytes alone, before GDAL opens it.

The importer picks a format by file name, but GDAL picks a driver by content: an OGR VRT
document (XML that makes GDAL read other files and URLs) named .geojson, .tab, .mif or .kml
would be opened as a VRT. So the first bytes must be those of the format the name
declares, as rasters.sniff does for images; anything else is refused with a clear message.
This is one of three layers (see importers.ogr_env for the driver allow-list and the
network switch-off, importers.ogr for the driver check after opening).
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

from django.utils.translation import gettext as _

from planning.errors import InvalidInput

HEAD_BYTES = 65536
UTF8_BOM = b"\xef\xbb\xbf"
SHAPE_FILE_CODE = 9994  # big-endian int at offset 0 of every .shp and .shx
SHAPE_HEADER_BYTES = 100
SQLITE_MAGIC = b"SQLite format 3\x00"
# dBase version bytes GDAL's shapefile driver writes or reads (dBase III..7, FoxPro).
DBF_VERSIONS = frozenset(b"\x02\x03\x04\x05\x30\x31\x32\x43\x63\x83\x8b\x8e\xcb\xe5\xf5\xfb")
DBF_HEADER_BYTES = 32
# XML prolog items that may precede the root element of a KML document.
_XML_DECLARATION = re.compile(rb"<\?xml[^>]*\?>")
_XML_COMMENT = re.compile(rb"<!--.*?-->", re.DOTALL)
_KML_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?kml[\s/>]")
# MapInfo tables that are views over, or catalogues of, other tables on disk.
_TAB_INDIRECT = re.compile(rb"(?im)^\s*(?:type\s+(?:seamless|raster|wms|tile)\b|create\s+view\b)")

LABELS = {
    ".shp": "shapefile",
    ".gpkg": "GeoPackage",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".kml": "KML",
    ".tab": "MapInfo TAB",
    ".mif": "MapInfo MIF",
}


def not_valid(name: str, label: str) -> InvalidInput:
    return InvalidInput(
        _(
            "%(name)s is not a valid %(format)s file (its content says otherwise, "
            "whatever its name)."
        )
        % {"name": name, "format": label}
    )


def check_content(path: Path, format_name: str, shown_name: str | None = None) -> None:
    """Refuse `path` unless its bytes are those of its declared format.

    `format_name` is importers.sources.Format.name; `shown_name` the name the user knows
    the file by (the upload's name rather than the stored one)."""
    suffix = path.suffix.lower()
    name = shown_name or path.name
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    ok = _CHECKS[suffix](path, head) if suffix in _CHECKS else False
    if not ok:
        raise not_valid(name, LABELS.get(suffix, format_name))
    if suffix == ".shp":
        _check_shapefile_parts(path)


def _text_start(head: bytes) -> bytes:
    """The text after a UTF-8 byte-order mark and leading blanks."""
    return head.removeprefix(UTF8_BOM).lstrip()


def _is_shape_header(head: bytes) -> bool:
    return len(head) >= SHAPE_HEADER_BYTES and struct.unpack(">i", head[:4])[0] == SHAPE_FILE_CODE


def _is_geojson(_path: Path, head: bytes) -> bool:
    return _text_start(head).startswith(b"{")


def _is_geopackage(_path: Path, head: bytes) -> bool:
    return head.startswith(SQLITE_MAGIC)


def _is_shapefile(_path: Path, head: bytes) -> bool:
    return _is_shape_header(head)


def _is_mapinfo_tab(_path: Path, head: bytes) -> bool:
    return _text_start(head)[:6].lower() == b"!table" and not _TAB_INDIRECT.search(head)


def _is_mapinfo_mif(_path: Path, head: bytes) -> bool:
    return _text_start(head)[:7].lower() == b"version"


def _is_kml(_path: Path, head: bytes) -> bool:
    """A KML document: its root element is <kml>, and it has no DOCTYPE (so no entities,
    external or expanding) in front of it."""
    rest = _text_start(head)
    while True:
        item = _XML_DECLARATION.match(rest) or _XML_COMMENT.match(rest)
        if item is None:
            break
        rest = rest[item.end() :].lstrip()
    return _KML_ROOT.match(rest) is not None


_CHECKS = {
    ".shp": _is_shapefile,
    ".gpkg": _is_geopackage,
    ".geojson": _is_geojson,
    ".json": _is_geojson,
    ".kml": _is_kml,
    ".tab": _is_mapinfo_tab,
    ".mif": _is_mapinfo_mif,
}


def _check_shapefile_parts(shp: Path) -> None:
    """The .shx index and .dbf table beside a .shp must be what they claim too."""
    for part in shp.parent.iterdir():
        if part.stem.lower() != shp.stem.lower():
            continue
        suffix = part.suffix.lower()
        if suffix not in (".shx", ".dbf"):
            continue
        with part.open("rb") as handle:
            head = handle.read(SHAPE_HEADER_BYTES)
        if suffix == ".shx" and not _is_shape_header(head):
            raise not_valid(part.name, _("shapefile index (.shx)"))
        if suffix == ".dbf" and (len(head) < DBF_HEADER_BYTES or head[0] not in DBF_VERSIONS):
            raise not_valid(part.name, _("dBase table (.dbf)"))
