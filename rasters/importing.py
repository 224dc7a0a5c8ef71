"""Importing a raster into a draft revision: checks, georeference, COG, one transaction.

Order of work, so that a hostile or broken file is refused before any pixel is read and
nothing is left behind:
1. the upload (one image, or a zip with the image and its sidecars) is unpacked into a
   private temporary directory under PLANNING_RASTER_DIR (zip limits of importers.archive);
2. rasters.sniff checks the bytes: real TIFF/JPEG/PNG by magic, declared pixels, bands and
   decoded bytes under the limits, every TIFF strip or tile inside the file; sidecars are
   parsed strictly;
3. GDAL opens the image with that one driver and no sidecar lookup (rasters.gdal_env); its
   bands, sample type and size are checked again as GDAL sees them (still no pixel read);
4. the placement is chosen: .aux.xml, world file, the file's own geotransform, its GCPs
   (fitted, residuals kept), or none (the scan waits for control points); a placement that
   needs a warp is refused when the warped grid would be far larger than the image or over
   the size limits (check_placed_grid, shared with rasters.georeferencing);
5. the COG is written in the temporary directory, then the row is created and the file
   moved into place inside one transaction; any failure removes the file.

A background job (rasters.jobs) passes `progress`: it is called between these stages (the
COG write itself reports nothing: rasterio's copy takes no GDAL progress callback) and
raises to cancel; its last call is inside the saving transaction, so a cancel that comes
after the file was moved rolls the row back and removes the file.
"""

from __future__ import annotations

import math
import os
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from pyproj import CRS as PyprojCRS
from rasterio.crs import CRS as RioCRS

from importers.archive import extract_zip
from planning import visibility
from planning.audit import audit
from planning.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated
from planning.models import Revision
from rasters import cog, georef, metadata, plausibility, sniff
from rasters.gdal_env import open_image, safe_env
from rasters.models import GeoreferenceMethod, RasterKind, RasterLayer

IMAGE_SUFFIXES = (".tif", ".tiff", ".jpg", ".jpeg", ".png")
MAX_OUTPUT_FACTOR = 16  # a placed image may not be much larger than the image itself
# A file's own GCPs may lie this many image sizes off the image ("reasonably near").
FILE_GCP_MARGIN = 1.0
# progress(percent, message): a job's JobHandle.progress; raises to stop the import.
# The call at LAST_CHECK, inside the saving transaction, must reach the job's cancel flag
# whatever the progress throttle (rasters.jobs forces it).
LAST_CHECK = 95
Progress = Callable[[float, str], None]


def _no_progress(pct: float, message: str) -> None:
    """The synchronous path reports no progress."""


@dataclass
class Placement:
    """How the image is put on the map."""

    method: str
    crs: RioCRS | None = None
    transform: Affine | None = None
    gcps: list[tuple[float, float, float, float]] = field(default_factory=list)
    fit: georef.Fit | None = None


@dataclass
class RasterImport:
    raster: RasterLayer
    report: dict


def work_root() -> Path:
    root = Path(settings.PLANNING_RASTER_DIR) / "tmp"
    root.mkdir(parents=True, exist_ok=True)
    return root


def check_permission(user, revision: Revision) -> None:
    if user is None or not user.is_authenticated:
        raise NotAuthenticated(_("Sign in to upload rasters."))
    if visibility.can_edit(user, revision):
        return
    if not visibility.edits_drafts(user, revision.project):  # who before what, as edits
        raise Forbidden(_("Only the project's planners may add rasters to this revision."))
    raise Conflict(
        _("Revision %(number)d is %(state)s; only drafts take new rasters.")
        % {"number": revision.number, "state": revision.get_state_display()}
    )


def import_raster(
    *,
    user,
    revision: Revision,
    path: Path,
    filename: str,
    name: str,
    kind: str = RasterKind.SCAN,
    crs: str | None = None,
    scan_date: date | None = None,
    remote_addr: str | None = None,
    progress: Progress = _no_progress,
) -> RasterImport:
    """Import one image (or a zip with its sidecars) as a raster layer of `revision`."""
    check_permission(user, revision)
    progress(2, _("Checking the file"))
    if kind not in RasterKind.values:
        raise InvalidInput(
            _("Unknown raster kind %(kind)s; expected one of %(kinds)s.")
            % {"kind": repr(kind), "kinds": ", ".join(RasterKind.values)}
        )
    name = (name or "").strip() or Path(filename).stem
    user_crs = rio_crs(georef.parse_crs(crs, "crs")) if crs else None
    with tempfile.TemporaryDirectory(prefix="raster-", dir=work_root()) as work:
        workdir = Path(work)
        image, siblings = _unpack(path, filename, workdir)
        header = sniff.check_image(image)
        progress(10, _("Reading the image"))
        output = workdir / "out.tif"
        with open_image(image, header.driver) as source:
            if (source.width, source.height) != (header.width, header.height):
                raise sniff.truncated(image.name)
            check_dataset(source, image.name)
            placement = _placement(source, image, siblings, user_crs)
            _convert(source, image, placement, output, workdir, kind, progress)
        progress(90, _("Saving"))
        info = metadata.describe(output)
        if placement.method != GeoreferenceMethod.NONE:
            check_finite_extent(info, image.name)
        raster = _save(
            user,
            revision,
            output,
            info,
            placement,
            name,
            kind,
            filename,
            scan_date,
            header.format,
            lambda: progress(LAST_CHECK, _("Saving")),
        )
    audit(
        user,
        "raster.import",
        project=revision.project,
        revision=revision,
        remote_addr=remote_addr,
        raster=raster.pk,
        file=filename,
        georeference=placement.method,
    )
    return RasterImport(raster, _report(raster, placement))


def rio_crs(crs) -> RioCRS:
    """A rasterio CRS of a pyproj CRS (by EPSG code when it has one)."""
    epsg = crs.to_epsg(min_confidence=70)
    with safe_env():
        return RioCRS.from_epsg(epsg) if epsg else RioCRS.from_wkt(crs.to_wkt())


# --- unpacking ----------------------------------------------------------------------------


def _unpack(path: Path, filename: str, workdir: Path) -> tuple[Path, list[Path]]:
    """The image of the upload and the files beside it."""
    if path.stat().st_size == 0:
        raise InvalidInput(_("The file is empty."))
    suffix = Path(filename).suffix.lower()
    if suffix == ".zip":
        target = workdir / "unzipped"
        target.mkdir()
        extract_zip(path, target, settings.PLANNING_MAX_UNZIPPED_BYTES)
        files = [p for p in target.rglob("*") if p.is_file() and not p.name.startswith(".")]
    elif suffix in IMAGE_SUFFIXES:
        files = [path]
    else:
        raise InvalidInput(
            _("Unsupported raster file %(name)s; upload a GeoTIFF, TIFF, JPEG or PNG, or a zip.")
            % {"name": Path(filename).name}
        )
    images = [p for p in files if p.suffix.lower() in IMAGE_SUFFIXES]
    if len(images) != 1:
        raise InvalidInput(
            _("The zip must hold exactly one image (TIFF, JPEG or PNG); it holds %(count)d.")
            % {"count": len(images)}
        )
    return images[0], [p for p in files if p != images[0]]


def _sidecar(image: Path, siblings: list[Path], suffixes: tuple[str, ...]) -> Path | None:
    """The sibling named like the image with one of `suffixes` (case-insensitive)."""
    stem, full = image.stem.lower(), image.name.lower()
    for sibling in siblings:
        lowered = sibling.name.lower()
        for suffix in suffixes:
            if lowered in (stem + suffix, full + suffix):
                return sibling
    return None


def check_dataset(source, name: str) -> None:
    """Bands, sample type and decoded size as GDAL reads them (its header only)."""
    sniff.check_bands(name, source.count)
    unsupported = sorted(set(source.dtypes) - cog.SAMPLE_TYPES)
    if unsupported:
        raise InvalidInput(
            _(
                "%(name)s stores its samples as %(type)s, which rasters cannot use; convert "
                "it to 8-, 16- or 32-bit integers or 32- or 64-bit floating point."
            )
            % {"name": name, "type": unsupported[0]}
        )
    itemsize = max(np.dtype(dtype).itemsize for dtype in source.dtypes)
    sniff.check_size(name, source.width, source.height, source.count, itemsize)


# --- placement ----------------------------------------------------------------------------


def _placement(source, image: Path, siblings: list[Path], user_crs: RioCRS | None) -> Placement:
    """Where the image lies: sidecars first (they are why the user sent them), then the
    file's geotransform, then its GCPs; a CRS given by the user wins over any other."""
    aux_path = _sidecar(image, siblings, (".aux.xml",))
    aux = georef.aux_xml(aux_path) if aux_path else None
    world = _sidecar(image, siblings, georef.WORLD_FILE_SUFFIXES)
    crs = user_crs or _sidecar_crs(image, siblings, aux, aux_path) or source.crs or None
    if aux is not None and aux.transform is not None:
        return Placement(GeoreferenceMethod.AUX, _need(crs, image), aux.transform)
    if world is not None:
        transform = georef.world_file_transform(world)
        return Placement(GeoreferenceMethod.WORLDFILE, _need(crs, image), transform)
    if not source.transform.is_identity:
        return Placement(GeoreferenceMethod.FILE, _need(crs, image), source.transform)
    gcps, gcp_crs = source.gcps
    if gcps:
        points = [(g.col, g.row, g.x, g.y) for g in gcps]
        return _gcp_placement(points, user_crs or gcp_crs or crs, image, source)
    if aux is not None and aux.gcps:
        return _gcp_placement(aux.gcps, crs, image, source)
    return Placement(GeoreferenceMethod.NONE)


def _sidecar_crs(image: Path, siblings: list[Path], aux, aux_path: Path | None) -> RioCRS | None:
    """The CRS of the .prj, else of the .aux.xml; read only when the user gives none, since
    the user's wins: a scan exported from CAD often carries a local (LOCAL_CS) .prj."""
    prj = _sidecar(image, siblings, (".prj",))
    if prj is not None:
        return rio_crs(georef.parse_crs(prj.read_text(errors="replace"), prj.name))
    if aux is not None and aux.crs_wkt:
        return rio_crs(georef.parse_crs(aux.crs_wkt, aux_path.name))  # type: ignore[union-attr]
    return None


def _gcp_placement(points, crs, image: Path, source) -> Placement:
    """The file's own control points, checked as the georeferencing page's are (except
    that they may lie a little off the image)."""
    crs = _need(crs, image)
    points_crs = as_pyproj(crs)
    controls = [georef.ControlPoint(*p) for p in points]
    order = 2 if len(controls) >= georef.MIN_POINTS[2] else 1
    georef.checked_points(
        controls, order, source.width, source.height, points_crs, margin=FILE_GCP_MARGIN
    )
    fit = georef.fit(controls, order)
    checked_fit_grid(fit, points_crs, source.width, source.height)
    return Placement(GeoreferenceMethod.GCP, crs, gcps=list(points), fit=fit)


def _need(crs, image: Path) -> RioCRS:
    if not crs:
        raise InvalidInput(
            _(
                "%(name)s is placed on the map but names no coordinate reference system; "
                "give the CRS (e.g. EPSG:9214) or add a .prj."
            )
            % {"name": image.name}
        )
    # The user's CRS and the sidecars' were checked when parsed; the image's own and its
    # GCPs' were not (a GeoTIFF can carry a geocentric or local CRS).
    plausibility.check_raster_crs(as_pyproj(crs), image.name)
    return crs


def as_pyproj(crs: RioCRS) -> PyprojCRS:
    """The pyproj CRS of a rasterio one (by EPSG code when it has one: the area of use)."""
    epsg = crs.to_epsg()
    return PyprojCRS.from_epsg(epsg) if epsg else PyprojCRS.from_wkt(crs.to_wkt())


# --- conversion ---------------------------------------------------------------------------


def _convert(
    source,
    image: Path,
    placement: Placement,
    output: Path,
    workdir: Path,
    kind,
    progress: Progress = _no_progress,
) -> None:
    """Write the COG: straight from the file when it is placed as it is, else through a
    VRT carrying the placement (and a warp to a north-up grid when needed)."""
    elevation = kind == RasterKind.ELEVATION
    writing = _("Writing the Cloud-Optimised GeoTIFF")
    if _usable_as_is(source, placement):
        progress(20, writing)
        cog.write_cog(source, output, elevation=elevation)
        return
    grid = _warp_grid(source, placement, image.name)
    wkt = placement.crs.to_wkt() if placement.crs else None
    xml = cog.vrt_xml(
        image, source, transform=placement.transform, crs_wkt=wkt, gcps=placement.gcps
    )
    vrt_path = workdir / "placed.vrt"
    vrt_path.write_text(xml, encoding="utf-8")
    with safe_env(), open_own_file(vrt_path) as placed:
        if grid is None:
            progress(20, writing)
            cog.write_cog(placed, output, elevation=elevation)
            return
        order = placement.fit.order if placement.fit is not None else None
        warped = workdir / "warped.tif"
        progress(20, _("Warping the image onto a north-up grid"))
        cog.warp_to_file(placed, warped, placement.crs, grid, order=order)
        progress(50, writing)
        with open_own_file(warped) as flat:
            cog.write_cog(flat, output, elevation=elevation)


def _warp_grid(source, placement: Placement, name: str) -> cog.Grid | None:
    """The north-up grid the image is warped onto, checked before any pixel is read; None
    when the placement is already a north-up grid (the VRT is written as it is)."""
    if placement.fit is not None:
        grid = fitted_grid(placement.fit, source.width, source.height)
    elif placement.transform is not None and not cog.is_north_up(placement.transform):
        grid = cog.north_up_grid(placement.transform, source.width, source.height)
    else:
        return None
    check_placed_grid(
        grid,
        source.width,
        source.height,
        source.count,
        source.dtypes[0],
        name,
        by_points=placement.fit is not None,
    )
    return grid


def check_placed_grid(
    grid: cog.Grid,
    width: int,
    height: int,
    bands: int,
    dtype: str,
    name: str,
    *,
    by_points: bool = True,
) -> None:
    """Refuse a placement whose warped grid would be far larger than the image (sheared or
    stretched control points or world file) or larger than any raster may be: the warp
    and the COG would otherwise write that many pixels."""
    if grid.width * grid.height > MAX_OUTPUT_FACTOR * width * height:
        if by_points:
            raise InvalidInput(
                _("These control points stretch the image far beyond its size; check them.")
            )
        raise InvalidInput(
            _(
                "The georeference of %(name)s (world file, .aux.xml or its own) stretches the "
                "image far beyond its size; check it."
            )
            % {"name": name}
        )
    out_bands = bands + (1 if cog.adds_alpha(dtype, None) else 0)
    placed_bytes = sniff.uncompressed_bytes(
        grid.width, grid.height, out_bands, np.dtype(dtype).itemsize
    )
    max_pixels = settings.PLANNING_RASTER_MAX_PIXELS
    if grid.width * grid.height > max_pixels or placed_bytes > sniff.max_uncompressed_bytes():
        raise InvalidInput(
            _(
                "Placed on the map, %(name)s would have %(width)d × %(height)d pixels "
                "(%(size)d MB once decoded), more than a raster may have (%(pixels)d pixels, "
                "%(limit)d MB)."
            )
            % {
                "name": name,
                "width": grid.width,
                "height": grid.height,
                "size": sniff.megabytes(placed_bytes),
                "pixels": max_pixels,
                "limit": sniff.megabytes(sniff.max_uncompressed_bytes()),
            }
        )


def _usable_as_is(source, placement: Placement) -> bool:
    """Unplaced, or placed by the file itself (same CRS, north-up): no VRT needed."""
    if placement.method == GeoreferenceMethod.NONE:
        return True
    return (
        placement.method == GeoreferenceMethod.FILE
        and source.crs is not None
        and source.crs == placement.crs
        and cog.is_north_up(source.transform)
    )


def open_own_file(path: Path):
    """Open a file this module wrote itself (VRT or GeoTIFF): never an upload."""
    return rasterio.open(path)


def checked_fit_grid(fit: georef.Fit, crs: PyprojCRS, width: int, height: int) -> cog.Grid:
    """The grid the fit places the image on, refused when its pixels have no plausible
    ground size or it reaches beyond the area where `crs` is used."""
    plausibility.check_pixel_size(fit.pixel_size, crs)
    grid = fitted_grid(fit, width, height)
    plausibility.check_placed_box(grid.bounds, crs)
    return grid


def fitted_grid(fit: georef.Fit, width: int, height: int) -> cog.Grid:
    """The north-up grid covering the image as the fitted transformation places it."""
    steps = np.linspace(0.0, 1.0, 21)
    cols = np.concatenate([steps * width, steps * width, np.zeros(21), np.full(21, width)])
    rows = np.concatenate([np.zeros(21), np.full(21, height), steps * height, steps * height])
    xs, ys = fit.apply(cols.astype(float), rows.astype(float))
    resolution = fit.pixel_size
    left, top = float(xs.min()), float(ys.max())
    out_w = max(1, int(np.ceil((float(xs.max()) - left) / resolution)))
    out_h = max(1, int(np.ceil((top - float(ys.min())) / resolution)))
    return cog.Grid(Affine(resolution, 0, left, 0, -resolution, top), out_w, out_h)


def check_finite_extent(info: metadata.RasterInfo, name: str) -> None:
    """The last guard before a placed raster's row is written: its bounds must be finite
    and reach lon/lat (PostgreSQL refuses NaN and infinity in JSON columns)."""
    if not all(math.isfinite(v) for v in info.bounds) or metadata.wgs84_bounds(info) is None:
        raise InvalidInput(
            _(
                "Placed on the map, %(name)s has no finite extent on Earth; check its "
                "georeference (control points, world file or CRS)."
            )
            % {"name": name}
        )


# --- saving -------------------------------------------------------------------------------


def final_path(revision_id: int) -> tuple[Path, str]:
    relative = f"r{revision_id}/{uuid.uuid4().hex}.tif"
    return Path(settings.PLANNING_RASTER_DIR) / relative, relative


def _save(
    user,
    revision,
    output: Path,
    info: metadata.RasterInfo,
    placement,
    name,
    kind,
    filename,
    scan,
    source_format: str,
    last_check: Callable[[], None] = lambda: None,
) -> RasterLayer:
    """Create the row and move the COG into the store, both or neither (`last_check`, a
    job's last cancel check, runs before the commit)."""
    target, relative = final_path(revision.pk)
    try:
        with transaction.atomic():
            locked = Revision.objects.select_for_update().get(pk=revision.pk)
            check_permission(user, locked)
            georeferenced = placement.method != GeoreferenceMethod.NONE
            raster = RasterLayer(
                revision=locked,
                name=name[:200],
                kind=kind,
                source_filename=Path(filename).name[:255],
                source_format=source_format,
                scan_date=scan,
                georeference_method=placement.method,
                created_by=user,
            )
            metadata.apply(raster, info, georeferenced=georeferenced)
            if placement.fit is not None:
                metadata.apply_fit(raster, placement.fit, placement.gcps)
            if georeferenced:
                raster.cog_path = relative
            else:
                raster.raw_path = relative
            raster.size_bytes = output.stat().st_size
            raster.save()
            move_into_place(output, target)
            last_check()
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return raster


def move_into_place(output: Path, target: Path) -> None:
    """Atomic rename into the store (the temporary directory is on the same file system)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(output, target)


def _report(raster: RasterLayer, placement: Placement) -> dict:
    report: dict[str, object] = {
        "georeference": placement.method,
        "crs": f"EPSG:{raster.crs_epsg}" if raster.crs_epsg else (raster.crs_wkt[:80] or None),
        "width": raster.width,
        "height": raster.height,
        "bands": raster.band_count,
        "dtype": raster.dtype,
    }
    if placement.fit is not None:
        report["rms"] = placement.fit.rms
        report["rms_pixels"] = placement.fit.rms_pixels
    if placement.method == GeoreferenceMethod.NONE:
        report["next"] = _("The image has no georeference: add control points to place it.")
    elif raster.outside_vietnam:
        report["warnings"] = [
            _(
                "The raster lies outside Viet Nam: check its CRS or georeference. The "
                "revision cannot be submitted with it (QA)."
            )
        ]
    return report
