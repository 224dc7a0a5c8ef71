"""Reading vector datasets through OGR (pyogrio and its bundled GDAL).

Uploads reach this module only after importers.sources has checked their bytes
(importers.vector_sniff); pyogrio's GDAL only has the upload formats' drivers and no network
(importers.ogr_env); and every open is checked here for the driver GDAL actually used
before any name or value read from the file is used.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyogrio
import pyogrio.errors
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from pyproj import CRS
from pyproj.exceptions import CRSError

from importers import attribute_limit, legacy_text, mapinfo_text, ogr_env
from importers.sources import Dataset
from importers.text import vietnamese
from importers.vector_sniff import LABELS, not_valid
from planning import crs as planning_crs
from planning.errors import InvalidInput

ogr_env.harden()

_OPEN_ERRORS = (
    pyogrio.errors.DataSourceError,
    pyogrio.errors.DataLayerError,
    pyogrio.errors.CRSError,
)


@dataclass
class SourceLayer:
    """One source layer read into memory, column-wise."""

    name: str
    crs: CRS | None
    crs_problem: str  # why the file's CRS was not usable, '' if it was or is absent
    fids: np.ndarray
    wkb: np.ndarray  # object array of WKB bytes (None for features without geometry)
    fields: list[dict[str, str]]  # [{"name", "type"}] in source order
    columns: list[list[object]]  # one Python list per field, values JSON-ready
    text_encoding: str | None = None  # legacy encoding the text was decoded from, if any
    # MapInfo text objects (importers.mapinfo_text): which features are, None without any,
    # and the columns the reader added for them (text, anchor ...), after the table's own
    text_objects: np.ndarray | None = None
    text_fields: tuple[str, ...] = ()
    warnings: list[str] = field(default_factory=list)  # about how the file was read

    def __len__(self) -> int:
        return len(self.wkb)


def list_layers(dataset: Dataset) -> list[str]:
    """The dataset's layers: a file's, or those of each file of a folder (importers.sources
    .Dataset), each file opened on its own and checked for its driver."""
    files = dataset.files or (dataset.path,)
    return [name for file in files for name in _file_layers(dataset, file)]


def _file_layers(dataset: Dataset, file: Path) -> list[str]:
    try:
        _check_driver(dataset, _read_info(dataset, file, 0), file)
    except pyogrio.errors.DataLayerError:
        pass  # no layer to read: nothing can come out of the file
    except _OPEN_ERRORS as exc:
        raise _unreadable(dataset, file) from exc
    try:
        return [str(row[0]) for row in pyogrio.list_layers(file)]
    except _OPEN_ERRORS as exc:
        raise _unreadable(dataset, file) from exc


def _layer_file(dataset: Dataset, layer: str) -> Path:
    """The file a layer is read from: a folder's layer is the file GDAL names it after."""
    if not dataset.files:
        return dataset.path
    found = next((file for file in dataset.files if file.stem == layer), None)
    if found is None:
        raise InvalidInput(
            _("The file has no layer %(name)s; it has %(layers)s.")
            % {"name": repr(layer), "layers": ", ".join(f.stem for f in dataset.files)}
        )
    return found


def _read_info(dataset: Dataset, file: Path, layer: str | int) -> dict:
    """GDAL's description of a layer, its names read as the layer's text is (read_layer)."""
    raw = _text_declaration(dataset, file).raw
    return pyogrio.read_info(file, layer=layer, encoding="latin1" if raw else None)


def _check_driver(dataset: Dataset, info: dict, file: Path) -> None:
    """Refuse a file GDAL opened with a driver other than its format's own."""
    if info.get("driver") not in dataset.format.drivers:
        label = LABELS.get(file.suffix.lower(), dataset.format.name)
        raise not_valid(file.name, label)


def _unreadable(dataset: Dataset, file: Path) -> InvalidInput:
    if dataset.files:  # one of several files: say which
        return InvalidInput(
            _("%(name)s could not be read as %(format)s: it is corrupt or not that format.")
            % {"name": file.name, "format": dataset.format.name}
        )
    return InvalidInput(
        _("The file could not be read as %(format)s: it is corrupt or not that format.")
        % {"format": dataset.format.name}
    )


def choose_layer(dataset: Dataset, requested: str | None, mapping_page: str = "") -> str:
    """The layer asked for, else the only (non-empty) one. `mapping_page`: where the layers
    of an archive of several files can all be mapped at once, for the refusal to say."""
    layers = list_layers(dataset)
    if requested:
        if requested not in layers:
            raise InvalidInput(
                _("The file has no layer %(name)s; it has %(layers)s.")
                % {"name": repr(requested), "layers": ", ".join(layers)}
            )
        return requested
    if not layers:
        raise InvalidInput(_("The file contains no layers."))
    if len(layers) > 1:
        non_empty = [name for name in layers if _count(dataset, name) > 0]
        if len(non_empty) == 1:
            return non_empty[0]
        if dataset.files:
            raise InvalidInput(
                _(
                    "The archive holds several layers (%(layers)s): map each to its planning "
                    "layer in one go with the layer mapping of the CAD import page "
                    "(%(page)s), or name one as the source layer to import it alone."
                )
                % {"layers": ", ".join(layers), "page": mapping_page}
            )
        raise InvalidInput(
            _("The file has several layers (%(layers)s); choose one as the source layer.")
            % {"layers": ", ".join(layers)}
        )
    return layers[0]


def _count(dataset: Dataset, layer: str) -> int:
    file = _layer_file(dataset, layer)
    try:
        info = _read_info(dataset, file, layer)
    except _OPEN_ERRORS as exc:
        raise _unreadable(dataset, file) from exc
    _check_driver(dataset, info, file)
    return int(info.get("features") or 0)


def read_layer(
    dataset: Dataset, layer: str, text_encoding: str = "auto", *, geometry_required: bool = True
) -> SourceLayer:
    """Read one layer; `text_encoding` is "auto" or one of vietnamese.ENCODINGS. The text
    encoding, the CRS and the text objects are the layer's file's own. A table without
    geometry (a GeoPackage's attribute table) is refused, or with `geometry_required` off
    (listing a file's layers, or a layer the mapping ignores) read as features without
    geometry; such a table is never imported, so its values are not held to the attribute
    limit (QGIS's layer_styles keeps style texts far longer)."""
    file = _layer_file(dataset, layer)
    text = _text_declaration(dataset, file)
    encoding = "latin1" if text.raw else None
    try:
        _check_driver(dataset, _read_info(dataset, file, layer), file)
        meta, fids, wkb, field_data = pyogrio.raw.read(
            file, layer=layer, return_fids=True, encoding=encoding
        )
    except (
        pyogrio.errors.DataSourceError,
        pyogrio.errors.DataLayerError,
        pyogrio.errors.FieldError,
        pyogrio.errors.GeometryError,
        pyogrio.errors.CRSError,
    ) as exc:
        raise _unreadable(dataset, file) from exc
    except UnicodeDecodeError as exc:  # text that is not in the charset the file declares
        raise _not_in_declared_charset(file) from exc
    attributes_only = wkb is None  # GDAL gives no geometry column at all
    if attributes_only:
        if geometry_required:
            raise _no_geometry(file, layer)
        wkb = np.full(len(fids), None, dtype=object)
    crs, problem = _parse_crs(meta.get("crs"), dataset, file)
    names = [str(n) for n in meta["fields"]]
    columns = [_column_values(col) for col in field_data]
    warnings: list[str] = []
    if text.cpg_utf8:
        text, columns, names, warnings = _check_cpg_utf8(file, columns, names)
    elif text.raw and text.declared:
        names = [_decoded_name(name, text.declared) for name in names]
    fields = [
        {"name": n, "type": _type_name(t)} for n, t in zip(names, meta["dtypes"], strict=True)
    ]
    objects = _text_objects(dataset, file, layer, text, names) if _has_points(wkb) else None
    if objects is not None:  # legacy-font texts count in the detection, then each is decoded
        if mapinfo_text.ANCHOR_FIELD not in {name.lower() for name in names}:
            fields.append({"name": mapinfo_text.ANCHOR_FIELD, "type": "string"})
            columns.append(mapinfo_text.anchors(objects))
        if mapinfo_text.ROTATION_FIELD not in {name.lower() for name in names}:
            fields.append({"name": mapinfo_text.ROTATION_FIELD, "type": "number"})
            columns.append(mapinfo_text.rotations(objects))
        fields.append({"name": mapinfo_text.TEXT_FIELD, "type": "string"})
        columns.append(mapinfo_text.evidence(objects))
    used = None
    if text.detect or text_encoding != "auto":
        decoded, used = legacy_text.decode_columns(
            columns, text_encoding, raw_latin1=text.raw, declared=text.declared
        )
        if text_encoding != "auto":
            _refuse_lost_text(legacy_text.lost_values(columns, decoded), text_encoding)
            fitting = legacy_text.fitting_encoding(
                columns, text_encoding, raw_latin1=text.raw, declared=text.declared
            )
            if misread := legacy_text.misread_warning(fitting, text_encoding):
                warnings.append(misread)
        columns = decoded
    if objects is not None:
        codec = "latin-1" if text.raw else text.declared or "cp1252"
        columns[-1], by_font = mapinfo_text.decode(
            objects, text_encoding, codec, text.detect, text.declared
        )
        used = used or by_font
    if not attributes_only:
        attribute_limit.check_columns(file.name, layer, fields, columns, fids)
    source = SourceLayer(layer, crs, problem, fids, wkb, fields, columns, used, warnings=warnings)
    if objects is not None:
        source.text_objects = np.array([text is not None for text in objects.texts])
        source.text_fields = tuple(field["name"] for field in fields[len(names) :])
    return source


def _no_geometry(file: Path, layer: str) -> InvalidInput:
    """A table of attributes only (a GeoPackage's attribute table) has nothing to place. A
    MapInfo table reads so without its .map file: importers.sources asks for that first."""
    return InvalidInput(
        _("The layer %(layer)s of %(name)s has no geometry: it is a table of attributes only.")
        % {"layer": repr(layer), "name": file.name}
    )


def _has_points(wkb: np.ndarray) -> bool:
    """Whether any geometry is a point (OGR's text objects are), from the WKB headers."""
    for geometry in wkb.tolist():
        if geometry and len(geometry) >= 5:
            header = geometry[1:5]
            code = int.from_bytes(header, "little" if geometry[0] == 1 else "big") & 0x0FFFFFFF
            if code % 1000 == 1:  # Point and its ISO Z/M/ZM codes (1001 ...), EWKB flags off
                return True
    return False


def _text_objects(
    dataset: Dataset, file: Path, layer: str, text: _TextDeclaration, names: list[str]
):
    """A MapInfo layer's text objects (importers.mapinfo_text), unless it has none or a
    `text` column of its own."""
    if dataset.format.name != "MapInfo File":
        return None
    if mapinfo_text.TEXT_FIELD in {name.lower() for name in names}:
        return None
    return mapinfo_text.read(file, layer, "latin1" if text.raw else None)


def _refuse_lost_text(lost: int, encoding: str) -> None:
    """A forced encoding the text is not in would replace letters with U+FFFD silently."""
    if lost:
        raise InvalidInput(
            ngettext(
                "Read as %(encoding)s, %(count)d text value of the file would lose letters that "
                "this encoding cannot read: the text is not in %(encoding)s. Choose another "
                "text encoding, or auto to detect it.",
                "Read as %(encoding)s, %(count)d text values of the file would lose letters "
                "that this encoding cannot read: the text is not in %(encoding)s. Choose "
                "another text encoding, or auto to detect it.",
                lost,
            )
            % {"encoding": encoding.upper(), "count": lost}
        )


def _not_in_declared_charset(file: Path) -> InvalidInput:
    return InvalidInput(
        _("The text of %(name)s is not in the character set the file declares: it cannot be read.")
        % {"name": file.name}
    )


def _check_cpg_utf8(
    file: Path, columns: list[list[object]], names: list[str]
) -> tuple[_TextDeclaration, list[list[object]], list[str], list[str]]:
    """A shapefile whose .cpg says UTF-8, read byte for byte: its text as UTF-8 when its bytes
    are (a letter cut in half at the end of a value, where the field's width ran out, is
    dropped and counted), else (TCVN3 or cp1258 bytes under a .cpg a tool wrote by default)
    as a shapefile without .cpg, detected, with a warning that the .cpg is wrong."""
    raws = [
        value.encode("latin-1") for column in columns for value in column if isinstance(value, str)
    ]
    raw_names = [name.encode("latin-1") for name in names]
    if all(_utf8_cut(raw) is not None for raw in [*raws, *raw_names]):
        utf8 = [[_from_raw_utf8(value) for value in column] for column in columns]
        cut = sum(1 for raw in [*raws, *raw_names] if not vietnamese.is_utf8([raw]))
        warnings = [_cut_letters(file.name, cut)] if cut else []
        decoded_names = [str(_from_raw_utf8(name)) for name in names]
        return _DECLARED_ONLY, utf8, decoded_names, warnings
    warning = _(
        "The .cpg file of %(name)s says the text is UTF-8, but it is not: the .cpg was "
        "ignored and the text encoding detected (or taken as chosen)."
    ) % {"name": file.name}
    return _TextDeclaration(raw=True, detect=True), columns, names, [warning]


def _cut_letters(name: str, count: int) -> str:
    return ngettext(
        "%(count)d value of %(name)s ends in half a letter (its field is too narrow for its "
        "UTF-8 text): the half letter was dropped.",
        "%(count)d values of %(name)s end in half a letter (their field is too narrow for "
        "their UTF-8 text): the half letters were dropped.",
        count,
    ) % {"count": count, "name": name}


def _utf8_cut(raw: bytes) -> str | None:
    """`raw` as UTF-8, without a multi-byte letter cut off at its end (a DBF field's width
    counts bytes); None when it is no UTF-8."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.end == len(raw) and error.reason == "unexpected end of data":
            return raw[: error.start].decode("utf-8")
        return None


def _from_raw_utf8(value: object) -> object:
    """A value read byte for byte as Latin-1, as UTF-8 (a cut letter at its end dropped)."""
    if not isinstance(value, str) or value.isascii():
        return value
    return unicodedata.normalize("NFC", _utf8_cut(value.encode("latin-1")) or "")


def _from_raw(value: object, codec: str) -> object:
    """A value read byte for byte as Latin-1, decoded with `codec` (and NFC)."""
    if not isinstance(value, str) or value.isascii():
        return value
    return unicodedata.normalize("NFC", value.encode("latin-1").decode(codec, errors="replace"))


def _decoded_name(name: str, codec: str) -> str:
    """A field name read byte for byte as Latin-1, in the codec the file declares."""
    decoded = _from_raw(name, codec)
    return decoded if isinstance(decoded, str) and "\ufffd" not in decoded else name


@dataclass(frozen=True)
class _TextDeclaration:
    """How a source declares its text encoding, and so how to read and check it."""

    raw: bool = False  # read the text byte for byte as Latin-1 and decode it here
    declared: str | None = None  # Python codec the source declares (or is presumed in)
    detect: bool = False  # look for legacy Vietnamese text when the encoding is "auto"
    cpg_utf8: bool = False  # a .cpg says UTF-8: read raw, and check that the bytes are


_DECLARED_ONLY = _TextDeclaration()

# Single-byte Western charsets under which Vietnamese institutes saved TCVN3/VNI bytes
# (the fonts did the rest): MapInfo charset names and .cpg spellings → Python codecs.
_MAPINFO_WESTERN = {
    "windowslatin1": "cp1252",
    "iso8859_1": "latin-1",
    "codepage437": "cp437",
    "codepage850": "cp850",
    "macroman": "mac_roman",
}
_CPG_WESTERN = {
    "1252": "cp1252",
    "cp1252": "cp1252",
    "windows1252": "cp1252",
    "ansi1252": "cp1252",
    "88591": "latin-1",
    "iso88591": "latin-1",
    "latin1": "latin-1",
    "28591": "latin-1",
}
# GDAL's iconv CP1258 drops each value's last character (it waits for a combining mark
# that never comes): read the bytes and decode them here, as MapInfo's WindowsVietnamese.
_CPG_VIETNAMESE = {"1258", "cp1258", "windows1258", "ansi1258"}
_CPG_UTF8 = {"utf8", "65001"}
_MAPINFO_CHARSET = re.compile(
    rb'(?im)^[ \t]*!?(?:type[ \t]+\w+[ \t]+)?charset[ \t]+"?(\w+)"?[ \t]*\r?$'
)
_HEADER_BYTES = 65536  # the charset sits in the first lines of a .tab/.mif


def _text_declaration(dataset: Dataset, file: Path) -> _TextDeclaration:
    """Shapefiles without .cpg and MapInfo "Neutral" tables declare nothing: read their
    bytes and let detection decide. A .cpg saying UTF-8 is checked against the bytes (tools
    write it by default over TCVN3 tables), and Windows-1258 is decoded here, as GDAL's
    iconv loses letters. A single-byte Western charset is read as declared but
    checked too: legacy Vietnamese bytes under it were the norm. Anything else (UTF-8
    formats, other declared charsets) is taken at its word."""
    if dataset.format.name == "ESRI Shapefile":
        cpg = _companion(file, ".cpg")
        if cpg is None:
            return _TextDeclaration(raw=True, detect=True)
        key = _charset_key(cpg.read_bytes()[:64])
        if key in _CPG_UTF8:
            return _TextDeclaration(raw=True, declared="utf-8", cpg_utf8=True)
        if key in _CPG_VIETNAMESE:
            return _TextDeclaration(raw=True, declared="cp1258", detect=True)
        western = _CPG_WESTERN.get(key)
        return _TextDeclaration(declared=western, detect=True) if western else _DECLARED_ONLY
    if dataset.format.name == "MapInfo File":
        charset = _mapinfo_charset(file)
        if charset in ("", "neutral"):  # GDAL passes the bytes on; pyogrio presumed UTF-8
            return _TextDeclaration(raw=True, declared="utf-8", detect=True)
        if charset == "windowsvietnamese":  # GDAL knows no converter: it passes the bytes on
            return _TextDeclaration(raw=True, declared="cp1258", detect=True)
        western = _MAPINFO_WESTERN.get(charset)
        return _TextDeclaration(declared=western, detect=True) if western else _DECLARED_ONLY
    return _DECLARED_ONLY


def _mapinfo_charset(path: Path) -> str:
    """The lower-cased Charset of a .tab/.mif header ('' when it names none)."""
    with path.open("rb") as header:
        found = _MAPINFO_CHARSET.search(header.read(_HEADER_BYTES))
    return found.group(1).decode("ascii").lower() if found else ""


def _charset_key(text: bytes) -> str:
    return re.sub(r"[\s_-]", "", text.decode("latin-1")).lower()


def _companion(path: Path, suffix: str) -> Path | None:
    """The file next to `path` with the same stem and `suffix` (in any letter case)."""
    stem = path.stem.lower()
    return next(
        (p for p in path.parent.iterdir() if p.stem.lower() == stem and p.suffix.lower() == suffix),
        None,
    )


def _parse_crs(text: str | None, dataset: Dataset, file: Path) -> tuple[CRS | None, str]:
    prj_exists = _companion(file, ".prj") is not None
    if not text:
        if dataset.format.name == "ESRI Shapefile" and prj_exists:
            return None, _("the .prj file could not be understood")
        return None, ""
    try:
        crs = CRS.from_user_input(text)
    except CRSError:
        return None, _("the file's coordinate reference system could not be understood")
    planning_crs.refuse_grid_files(crs)  # before anything (the preview too) transforms
    return crs, ""


def _type_name(dtype: object) -> str:
    text = str(dtype)
    if text.startswith(("int", "uint")):
        return "integer"
    if text.startswith("float"):
        return "number"
    if text == "bool":
        return "boolean"
    if text.startswith("datetime"):
        return "datetime"
    return "string"


def _column_values(column: np.ndarray) -> list[object]:
    """Column as JSON-ready Python values: NaN → None, dates → ISO text, text → NFC."""
    kind = column.dtype.kind
    if kind in "iub":
        return column.tolist()
    if kind == "f":
        return [None if math.isnan(v) else v for v in column.tolist()]
    if kind == "M":
        return [None if np.isnat(v) else np.datetime_as_string(v) for v in column]
    return [_clean_object(v) for v in column.tolist()]


def _clean_object(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, bytes):
        return unicodedata.normalize("NFC", value.decode("utf-8", errors="replace"))
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    return value
