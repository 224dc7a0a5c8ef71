"""Finding the dataset inside an upload: format detection, archives, shapefile parts."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _

from importers.archive import extract_zip
from importers.vector_sniff import check_content
from planning.errors import InvalidInput, UnsupportedFormat


@dataclass(frozen=True)
class Format:
    name: str
    suffixes: tuple[str, ...]
    # The only GDAL drivers that may open a file of this format (importers.ogr_env
    # deregisters every other one from pyogrio's GDAL).
    drivers: tuple[str, ...]


FORMATS = (
    Format("ESRI Shapefile", (".shp",), ("ESRI Shapefile",)),
    Format("GPKG", (".gpkg",), ("GPKG",)),
    Format("GeoJSON", (".geojson", ".json"), ("GeoJSON",)),
    Format("KML", (".kml",), ("LIBKML", "KML")),
    Format("MapInfo File", (".tab", ".mif"), ("MapInfo File",)),
)
CAD_SUFFIXES = (".dxf", ".dwg")
SHAPEFILE_PARTS = (".shx", ".dbf")


def supported_formats() -> str:
    """The formats an upload may have, named in the reader's language."""
    return _(
        "zipped shapefile (.zip), GeoPackage (.gpkg), GeoJSON (.geojson), KML (.kml), "
        "MapInfo (.tab/.mif), CAD drawing (.dxf, .dwg)"
    )


@dataclass(frozen=True)
class Dataset:
    path: Path
    format: Format


def is_cad(filename: str) -> bool:
    """CAD drawings go through importers.cad (layer mapping), not the OGR reader."""
    return Path(filename).suffix.lower() in CAD_SUFFIXES


def format_of(path: Path) -> Format | None:
    suffix = path.suffix.lower()
    return next((f for f in FORMATS if suffix in f.suffixes), None)


def locate_dataset(upload: Path, filename: str, workdir: Path, max_unzipped: int) -> Dataset:
    """The one readable dataset in an upload (a file, or the single dataset in a zip)."""
    if upload.stat().st_size == 0:
        raise InvalidInput(_("The file is empty."))
    suffix = Path(filename).suffix.lower()
    if suffix == ".zip":
        extract_zip(upload, workdir, max_unzipped)
        return _dataset_in_directory(workdir)
    fmt = format_of(Path(filename))
    if fmt is None or fmt.name == "ESRI Shapefile":
        message = _("Unsupported file type %(suffix)s; upload a %(formats)s.") % {
            "suffix": repr(suffix or "(none)"),
            "formats": supported_formats(),
        }
        if suffix == ".shp":
            message += " " + _("Zip the .shp with its .shx, .dbf and .prj.")
        raise UnsupportedFormat(message)
    check_content(upload, fmt.name, shown_name=Path(filename).name)
    return Dataset(upload, fmt)


def _dataset_in_directory(directory: Path) -> Dataset:
    candidates = sorted(
        p
        for p in directory.rglob("*")
        if p.is_file()
        and format_of(p) is not None
        and not p.name.startswith(("._", "."))
        and not (p.suffix.lower() == ".json" and p.name.lower() == "metadata.json")
    )
    if not candidates:
        raise UnsupportedFormat(
            _("The archive holds no readable dataset; expected a %(formats)s.")
            % {"formats": supported_formats()}
        )
    if len(candidates) > 1:
        names = ", ".join(p.relative_to(directory).as_posix() for p in candidates[:10])
        raise InvalidInput(
            _("The archive holds several datasets (%(names)s); upload one per file.")
            % {"names": names}
        )
    dataset = Dataset(candidates[0], format_of(candidates[0]))  # type: ignore[arg-type]
    if dataset.format.name == "ESRI Shapefile":
        check_shapefile_parts(dataset.path)
    check_content(dataset.path, dataset.format.name)
    return dataset


def check_shapefile_parts(shp: Path) -> None:
    """GDAL half-opens a shapefile without .shx/.dbf; say precisely what is missing."""
    present = {p.suffix.lower() for p in shp.parent.glob(shp.stem + ".*")}
    missing = [part for part in SHAPEFILE_PARTS if part not in present]
    if missing:
        raise InvalidInput(
            _("The shapefile %(name)s is incomplete: %(parts)s missing from the archive.")
            % {"name": shp.name, "parts": ", ".join(missing)}
        )


def check_upload(upload: Path, filename: str, max_unzipped: int) -> None:
    """Refuse an upload whose dataset is missing or not what its name says, before it is
    queued (the job re-locates it when it runs). CAD drawings are checked by their reader."""
    if is_cad(filename):
        return
    with tempfile.TemporaryDirectory(prefix="check-", dir=upload.parent) as workdir:
        locate_dataset(upload, filename, Path(workdir), max_unzipped)
