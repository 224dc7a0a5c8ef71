"""Reading vector datasets through OGR (pyogrio and its bundled GDAL)."""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyogrio
import pyogrio.errors
from django.utils.translation import gettext as _
from pyproj import CRS
from pyproj.exceptions import CRSError

from importers import legacy_text
from importers.sources import Dataset
from planning.errors import InvalidInput


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

    def __len__(self) -> int:
        return len(self.wkb)


def list_layers(dataset: Dataset) -> list[str]:
    try:
        return [str(row[0]) for row in pyogrio.list_layers(dataset.path)]
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise InvalidInput(
            _("The file could not be read as %(format)s: it is corrupt or not that format.")
            % {"format": dataset.format.name}
        ) from exc


def choose_layer(dataset: Dataset, requested: str | None) -> str:
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
        raise InvalidInput(
            _("The file has several layers (%(layers)s); choose one as the source layer.")
            % {"layers": ", ".join(layers)}
        )
    return layers[0]


def _count(dataset: Dataset, layer: str) -> int:
    return int(pyogrio.read_info(dataset.path, layer=layer).get("features") or 0)


def read_layer(dataset: Dataset, layer: str, text_encoding: str = "auto") -> SourceLayer:
    """Read one layer; `text_encoding` is "auto" or one of vietnamese.ENCODINGS."""
    raw_dbf = _undeclared_dbf(dataset)
    try:
        meta, fids, wkb, field_data = pyogrio.raw.read(
            dataset.path, layer=layer, return_fids=True, encoding="latin1" if raw_dbf else None
        )
    except (
        pyogrio.errors.DataSourceError,
        pyogrio.errors.DataLayerError,
        pyogrio.errors.FieldError,
        pyogrio.errors.GeometryError,
    ) as exc:
        raise InvalidInput(
            _("The file could not be read as %(format)s: it is corrupt or not that format.")
            % {"format": dataset.format.name}
        ) from exc
    crs, problem = _parse_crs(meta.get("crs"), dataset)
    names = [str(n) for n in meta["fields"]]
    fields = [
        {"name": n, "type": _type_name(t)} for n, t in zip(names, meta["dtypes"], strict=True)
    ]
    columns = [_column_values(col) for col in field_data]
    used = None
    if raw_dbf or text_encoding != "auto":
        columns, used = legacy_text.decode_columns(columns, text_encoding, raw_latin1=raw_dbf)
    return SourceLayer(layer, crs, problem, fids, wkb, fields, columns, used)


def _undeclared_dbf(dataset: Dataset) -> bool:
    """A shapefile whose DBF text encoding is declared by no .cpg: read its bytes as
    Latin-1 (a lossless round trip) and let detection decide."""
    if dataset.format.name != "ESRI Shapefile":
        return False
    return not any(
        p.suffix.lower() == ".cpg" for p in dataset.path.parent.glob(dataset.path.stem + ".*")
    )


def _parse_crs(text: str | None, dataset: Dataset) -> tuple[CRS | None, str]:
    prj_exists = any(
        p.suffix.lower() == ".prj" for p in dataset.path.parent.glob(dataset.path.stem + ".*")
    )
    if not text:
        if dataset.format.name == "ESRI Shapefile" and prj_exists:
            return None, _("the .prj file could not be understood")
        return None, ""
    try:
        return CRS.from_user_input(text), ""
    except CRSError:
        return None, _("the file's coordinate reference system could not be understood")


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
