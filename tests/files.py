"""Writers of real vector files for tests (through pyogrio, the same GDAL the server reads)."""

from __future__ import annotations

import glob
import zipfile
from pathlib import Path

import numpy as np
import pyogrio.raw
import shapely


def write_vector(
    path: Path,
    geoms: list,
    fields: dict[str, list],
    *,
    driver: str,
    crs: str | None = "EPSG:9214",
    layer: str | None = None,
    **options,
) -> Path:
    wkb = np.array(shapely.to_wkb(np.array(geoms, dtype=object)), dtype=object)
    names = list(fields)
    data = [
        np.array(values, dtype=object if isinstance(values[0], str) else None)
        for values in fields.values()
    ]
    geometry_type = shapely.get_type_id(geoms[0])
    pyogrio.raw.write(
        path,
        wkb,
        data,
        names,
        driver=driver,
        crs=crs,
        layer=layer,
        geometry_type=shapely.GeometryType(geometry_type)
        .name.title()
        .replace("Multipolygon", "MultiPolygon")
        .replace("Linestring", "LineString")
        + (" Z" if shapely.has_z(geoms[0]) else ""),
        **options,
    )
    return path


def zip_dir(files: list[Path], target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for file in files:
            archive.write(file, file.name)
    return target


def shapefile_parts(shp: Path) -> list[Path]:
    return sorted(p for p in shp.parent.glob(glob.escape(shp.stem) + ".*"))


def upload_as_layer(
    planner, revision, path: Path, kind: str = "landuse", name: str = "Lots", **options
):
    """The plain upload of a GIS file as one planning layer, as the upload page makes it."""
    from importers.service import import_upload

    return import_upload(
        user=planner,
        revision=revision,
        path=path,
        filename=path.name,
        kind=kind,
        name=name,
        **options,
    )
