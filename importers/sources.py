"""Finding the dataset inside an upload: format detection, archives, shapefile parts.

A zip holds one dataset, or several shapefiles (or several MapInfo tables) side by side in
one folder: planners zip the lots, the plan boundary and the roads together. Such a folder
is one dataset whose layers are its files, as GDAL sees it; other mixes are refused with a
message that names the files.
"""

from __future__ import annotations

import glob
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from importers.archive import extract_zip
from importers.cad.mapping import layer_key
from importers.vector_sniff import HEAD_BYTES, LABELS, check_content
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
# The files GDAL reads a MapInfo .tab with: its records (.dat; .dbf for a "Type DBF" table),
# its geometry (.map, without which every feature comes without one) and the geometry's
# index (.id, without which the table does not open).
MAPINFO_PARTS = (".map", ".id")
_MAPINFO_DBF_TABLE = re.compile(rb"(?im)^\s*type\s+dbf\b")
# The MIF header's column count; the values are in the .mid beside it.
_MIF_COLUMNS = re.compile(rb"(?im)^\s*columns\s+(\d+)")
# Formats of which a folder of files is one dataset, a layer per file (GDAL's directory
# mode); several GeoPackages or GeoJSON files are not.
LAYERED_FOLDER_FORMATS = ("ESRI Shapefile", "MapInfo File")
NAMES_SHOWN = 10  # files named in a refusal at most


def supported_formats() -> str:
    """The formats an upload may have, named in the reader's language."""
    return _(
        "zipped shapefile (.zip), GeoPackage (.gpkg), GeoJSON (.geojson), KML (.kml), "
        "MapInfo (.tab/.mif), CAD drawing (.dxf, .dwg)"
    )


@dataclass(frozen=True)
class Dataset:
    """A file, or (with `files`) the folder of an archive's several shapefiles or MapInfo
    tables. A folder's layers are its files, named by their stems as GDAL names them; each
    is read from its own file (importers.ogr), so its driver check, .prj or CoordSys, .cpg or
    Charset and text objects are its own, and no stray file of the folder (a .dbf without
    its .shp) becomes a layer."""

    path: Path
    format: Format
    files: tuple[Path, ...] = ()  # a folder's shapefiles / tables in name order; () for a file


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
    if suffix == ".mif":
        check_mif_parts(upload, Path(filename).name)
    if suffix == ".tab":  # never readable alone: GDAL only says it cannot open it
        raise InvalidInput(
            _("%(name)s is one file of a MapInfo table: zip it with %(parts)s and upload the zip.")
            % {
                "name": Path(filename).name,
                "parts": ", ".join(mapinfo_part_names(upload, filename)),
            }
        )
    return Dataset(upload, fmt)


def _dataset_in_directory(directory: Path) -> Dataset:
    found = [
        (path, fmt)
        for path in sorted(directory.rglob("*"))
        if (fmt := format_of(path)) is not None
        and path.is_file()
        and not path.name.startswith(("._", "."))
        and not (path.suffix.lower() == ".json" and path.name.lower() == "metadata.json")
    ]
    if not found:
        raise UnsupportedFormat(
            _("The archive holds no readable dataset; expected a %(formats)s.")
            % {"formats": supported_formats()}
        )
    if len(found) > 1:
        _check_layered_folder(directory, found)
    for path, fmt in found:
        if fmt.name == "ESRI Shapefile":
            check_shapefile_parts(path)
        check_content(path, fmt.name)
        if path.suffix.lower() == ".tab":
            check_mapinfo_parts(path)
        if path.suffix.lower() == ".mif":
            check_mif_parts(path, path.name)
    first, fmt = found[0]
    if len(found) == 1:
        return Dataset(first, fmt)
    return Dataset(first.parent, fmt, tuple(path for path, _fmt in found))


def _check_layered_folder(directory: Path, found: list[tuple[Path, Format]]) -> None:
    """Several datasets are one only as several shapefiles, or several MapInfo tables, in one
    folder (one layer each, under distinct names); anything else is refused, naming them."""
    files = [path for path, _fmt in found]
    formats = {fmt.name for _path, fmt in found}
    if len(formats) > 1:
        raise InvalidInput(
            _(
                "The archive mixes formats (%(names)s): only several shapefiles, or several "
                "MapInfo tables, are imported together. Upload the others separately."
            )
            % {"names": _names(directory, files, with_format=True)}
        )
    if formats.pop() not in LAYERED_FOLDER_FORMATS:
        raise InvalidInput(
            _("The archive holds several datasets (%(names)s); upload one per file.")
            % {"names": _names(directory, files)}
        )
    if len({p.parent for p in files}) > 1:
        raise InvalidInput(
            _(
                "The archive holds its datasets in several folders (%(names)s): put the "
                "files to import together in one folder."
            )
            % {"names": _names(directory, files)}
        )
    _refuse_same_names(directory, files)


def _refuse_same_names(directory: Path, files: list[Path]) -> None:
    """Layers are named by their files' stems, and a mapping compares names regardless of
    case: lots.tab beside lots.mif (or LOTS.shp) would be two layers of one name."""
    seen: dict[str, Path] = {}
    for path in files:
        other = seen.setdefault(layer_key(path.stem), path)
        if other is not path:
            raise InvalidInput(
                _(
                    "The archive holds two datasets that would be layers of the same name "
                    "(%(names)s); rename one."
                )
                % {"names": _names(directory, [other, path])}
            )


def _names(directory: Path, files: list[Path], *, with_format: bool = False) -> str:
    """The files as the archive names them (the first NAMES_SHOWN, then "…")."""
    shown = []
    for path in files[:NAMES_SHOWN]:
        name = path.relative_to(directory).as_posix()
        label = LABELS.get(path.suffix.lower(), "")
        shown.append(f"{name} ({label})" if with_format and label else name)
    return ", ".join(shown) + (", …" if len(files) > NAMES_SHOWN else "")


def check_shapefile_parts(shp: Path) -> None:
    """GDAL half-opens a shapefile without .shx/.dbf; say precisely what is missing."""
    present = {p.suffix.lower() for p in shp.parent.glob(glob.escape(shp.stem) + ".*")}
    missing = [part for part in SHAPEFILE_PARTS if part not in present]
    if missing:
        raise InvalidInput(
            _("The shapefile %(name)s is incomplete: %(parts)s missing from the archive.")
            % {"name": shp.name, "parts": ", ".join(missing)}
        )


def mapinfo_parts(tab: Path) -> tuple[str, ...]:
    """The suffixes of the files a .tab is read with (its content already checked)."""
    with tab.open("rb") as header:
        dbf = _MAPINFO_DBF_TABLE.search(header.read(HEAD_BYTES)) is not None
    return (".dbf" if dbf else ".dat", *MAPINFO_PARTS)


def mapinfo_part_names(tab: Path, filename: str) -> list[str]:
    """The files of the table `filename` (stored at `tab`) by name: lots.dat, lots.map …"""
    stem = Path(filename).stem
    return [stem + suffix for suffix in mapinfo_parts(tab)]


def check_mapinfo_parts(tab: Path) -> None:
    """GDAL cannot open a .tab without its .dat or .id, and reads one without its .map as
    a table without geometry; say precisely which files are missing."""
    present = {p.suffix.lower() for p in tab.parent.glob(glob.escape(tab.stem) + ".*")}
    missing = [part for part in mapinfo_parts(tab) if part not in present]
    if not missing:
        return
    message = _("The MapInfo table %(name)s is incomplete: %(parts)s missing from the archive.") % {
        "name": tab.name,
        "parts": ", ".join(missing),
    }
    if ".map" in missing:
        message += " " + _("Without its .map file the table has no geometry to import.")
    raise InvalidInput(message)


def check_mif_parts(mif: Path, name: str) -> None:
    """GDAL reads a .mif without its .mid as features whose every attribute is empty; a
    table that declares columns needs the .mid that holds their values."""
    with mif.open("rb") as header:
        declared = _MIF_COLUMNS.search(header.read(HEAD_BYTES))
    columns = int(declared.group(1)) if declared else 0
    present = {p.suffix.lower() for p in mif.parent.glob(glob.escape(mif.stem) + ".*")}
    if columns and ".mid" not in present:
        raise InvalidInput(
            ngettext(
                "%(name)s declares %(count)d column, whose values are in its .mid file: zip "
                "the .mif with its .mid and upload the zip.",
                "%(name)s declares %(count)d columns, whose values are in its .mid file: zip "
                "the .mif with its .mid and upload the zip.",
                columns,
            )
            % {"name": name, "count": columns}
        )


def check_upload(upload: Path, filename: str, max_unzipped: int) -> None:
    """Refuse an upload whose dataset is missing or not what its name says, before it is
    queued (the job re-locates it when it runs). CAD drawings are checked by their reader."""
    if is_cad(filename):
        return
    with tempfile.TemporaryDirectory(prefix="check-", dir=upload.parent) as workdir:
        locate_dataset(upload, filename, Path(workdir), max_unzipped)
