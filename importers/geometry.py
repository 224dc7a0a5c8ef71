"""Geometry policy of imports: decode, check against the layer kind, reproject, encode."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pyproj import Transformer

from importers.report import ImportReport
from planning.layer_kinds import LayerKind

# The geometry families each kind accepts (shapely type ids).
_FAMILIES = {
    "polygon": {shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON},
    "line": {
        shapely.GeometryType.LINESTRING,
        shapely.GeometryType.MULTILINESTRING,
        shapely.GeometryType.LINEARRING,
    },
    "point": {shapely.GeometryType.POINT, shapely.GeometryType.MULTIPOINT},
}
# The families in the reader's language: rejection reasons are shown on the upload page.
_FAMILY_NAMES = {
    "polygon": gettext_lazy("polygon"),
    "line": gettext_lazy("line"),
    "point": gettext_lazy("point"),
}


@dataclass
class PreparedGeometries:
    """Hex WKB in the storage CRS, without SRID: the typed columns geometry(…, storage SRID)
    give SRID-less values their own SRID, so no per-feature SRID has to be written."""

    keep: np.ndarray  # indexes of source features that are loaded
    wkb_2d: list[str]  # one per kept feature
    wkb_3d: list[str | None]  # with Z, where the source has Z values
    bounds: tuple[float, float, float, float] | None = None  # of the kept, storage CRS


def prepare(
    wkb: np.ndarray,
    kind: LayerKind,
    transformer: Transformer | None,
    report: ImportReport,
) -> PreparedGeometries:
    geoms = _decode(wkb, report)
    keep = _accepted(geoms, kind, report)
    geoms = geoms[keep]
    if transformer is not None:
        geoms = _reproject(geoms, transformer, report)
    invalid = int((~shapely.is_valid(geoms)).sum()) if len(geoms) else 0
    if invalid:
        report.warnings.append(
            _("%(count)d geometries are invalid (kept; QA will report them).") % {"count": invalid}
        )
    has_z = shapely.has_z(geoms)
    flat = shapely.force_2d(geoms) if has_z.any() else geoms
    wkb_3d: list[str | None] = [None] * len(geoms)
    for position, blob in zip(
        np.flatnonzero(has_z), _hex(geoms[has_z], output_dimension=3), strict=True
    ):
        wkb_3d[position] = blob
    box = tuple(float(v) for v in shapely.total_bounds(geoms)) if len(geoms) else None
    finite = box is not None and all(np.isfinite(box))
    return PreparedGeometries(
        keep,
        _hex(flat, output_dimension=2),
        wkb_3d,
        box if finite else None,  # type: ignore[arg-type]
    )


def _hex(geoms: np.ndarray, output_dimension: int) -> list[str]:
    # Binary WKB then bytes.hex() is several times faster than shapely's hex=True.
    blobs = shapely.to_wkb(geoms, output_dimension=output_dimension).tolist()
    return [blob.hex() for blob in blobs]


def _decode(wkb: np.ndarray, report: ImportReport) -> np.ndarray:
    try:
        return shapely.from_wkb(wkb, on_invalid="raise")
    except shapely.errors.GEOSException:
        # Fall back to per-feature decoding so one bad record does not sink the file.
        geoms = np.empty(len(wkb), dtype=object)
        for index, blob in enumerate(wkb):
            try:
                geoms[index] = shapely.from_wkb(blob) if blob is not None else None
            except shapely.errors.GEOSException as exc:
                report.reject(index, _("unreadable geometry (%(error)s)") % {"error": exc})
                geoms[index] = None
        return geoms


def _accepted(geoms: np.ndarray, kind: LayerKind, report: ImportReport) -> np.ndarray:
    """Indexes of features to load; every other one is reported with its reason."""
    missing = shapely.is_missing(geoms)
    present = ~missing
    empty = np.zeros(len(geoms), dtype=bool)
    empty[present] = shapely.is_empty(geoms[present])
    types = np.full(len(geoms), -1)
    types[present] = shapely.get_type_id(geoms[present])
    allowed = _FAMILIES.get(kind.geometry)
    fits = np.isin(types, list(allowed)) if allowed is not None else present
    good = present & ~empty & fits
    already = {r.index for r in report.rejected}
    for index in np.flatnonzero(~good):
        if index in already:
            continue
        if missing[index]:
            report.reject(int(index), _("no geometry"))
        elif empty[index]:
            report.reject(int(index), _("empty geometry"))
        else:
            report.reject(int(index), _misfit(types[index], kind))
    return np.flatnonzero(good).astype(np.int64)


def _misfit(type_id: int, kind: LayerKind) -> str:
    # The kind by its label, not its code: the reason is read on the upload page.
    return _("%(type)s does not fit the layer kind “%(kind)s” (%(geometry)s expected)") % {
        "type": shapely.GeometryType(type_id).name.title(),
        "kind": kind.label,
        "geometry": _FAMILY_NAMES.get(kind.geometry, kind.geometry),
    }


def _reproject(geoms: np.ndarray, transformer: Transformer, report: ImportReport) -> np.ndarray:
    def forward(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    out = shapely.transform(geoms, forward, include_z=False)
    bounds = shapely.total_bounds(out) if len(out) else np.zeros(4)
    if not np.all(np.isfinite(bounds)):
        report.warnings.append(_("Some coordinates could not be transformed to the storage CRS."))
    return out
