"""A local or geocentric CRS in a sidecar under a CRS the user gives (code review): scans
exported from CAD often carry a LOCAL_CS .prj, which was refused as "cannot place a
raster" before the rule that the user's CRS wins was applied. Only the CRS finally
chosen is checked now; without a CRS from the user the sidecar's is refused as before."""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from rest_framework.test import APIClient

from rasters.models import GeoreferenceMethod, RasterLayer
from tests.conftest import HUE_X, HUE_Y
from tests.rasters.conftest import pattern, stored_files, write_tiff

LOCAL_PRJ = {
    # As AutoCAD Map and GDAL write a drawing's "NonEarth" coordinates.
    "LOCAL_CS": 'LOCAL_CS["Unknown",UNIT["metre",1,AUTHORITY["EPSG","9001"]],'
    'AXIS["Easting",EAST],AXIS["Northing",NORTH]]',
    "ENGCRS": 'ENGCRS["Unknown",EDATUM["Unknown"],CS[Cartesian,2],'
    'AXIS["easting (X)",east,ORDER[1],LENGTHUNIT["metre",1]],'
    'AXIS["northing (Y)",north,ORDER[2],LENGTHUNIT["metre",1]]]',
    "geocentric": 'GEOCCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],'
    'PRIMEM["Greenwich",0],UNIT["metre",1],AXIS["Geocentric X",OTHER],'
    'AXIS["Geocentric Y",OTHER],AXIS["Geocentric Z",NORTH],AUTHORITY["EPSG","4978"]]',
}
# 0.5 m pixels, the upper-left corner at the test lots.
WORLD_FILE = f"0.5\n0\n0\n-0.5\n{HUE_X + 0.25}\n{HUE_Y - 0.25}\n"
AUX_XML = (
    "<PAMDataset><SRS>{srs}</SRS>"
    f"<GeoTransform>{HUE_X}, 0.5, 0, {HUE_Y}, 0, -0.5</GeoTransform></PAMDataset>"
)


def cad_scan(folder: Path, prj: str, sidecar: str = ".prj") -> Path:
    """scan.tif without georeference, placed by a world file and a .prj of `prj`, or by
    an .aux.xml whose SRS is `prj`, zipped."""
    archive = folder / "scan.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.write(write_tiff(folder / "scan.tif", pattern(40, 30)), "scan.tif")
        if sidecar == ".prj":
            handle.writestr("scan.tfw", WORLD_FILE)
            handle.writestr("scan.prj", prj)
        else:
            handle.writestr("scan.tif.aux.xml", AUX_XML.format(srs=escape(prj)))
    return archive


def upload(planner, revision, archive: Path, **fields: str):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(planner)
    with archive.open("rb") as handle:
        return client.post(
            f"/api/revisions/{revision.pk}/rasters/",
            {"file": handle, **fields},
            format="multipart",
        )


REFUSED = (
    "The coordinate reference system in scan.prj cannot place a raster: give a projected "
    "or geographic CRS (e.g. EPSG:9214 or EPSG:4326), not a geocentric, vertical or local one."
)


@pytest.mark.parametrize("prj", list(LOCAL_PRJ))
def test_the_users_crs_places_a_scan_with_a_local_prj(planner, draft_plan, tmp_path, settings, prj):
    archive = cad_scan(tmp_path, LOCAL_PRJ[prj])
    response = upload(planner, draft_plan, archive)  # no CRS given: the .prj's is refused
    assert response.status_code == 400, response.content
    assert response.json()["detail"] == REFUSED
    assert stored_files(settings.PLANNING_RASTER_DIR) == []
    response = upload(planner, draft_plan, archive, crs="EPSG:9214")
    assert response.status_code == 201, response.content
    assert response.json()["crs"] == "EPSG:9214"
    raster = RasterLayer.objects.get(pk=response.json()["id"])
    assert raster.georeference_method == GeoreferenceMethod.WORLDFILE
    assert raster.bounds_native == pytest.approx([HUE_X, HUE_Y - 15, HUE_X + 20, HUE_Y], abs=1e-6)


def test_the_users_crs_places_a_scan_with_a_local_aux_xml(planner, draft_plan, tmp_path):
    archive = cad_scan(tmp_path, LOCAL_PRJ["LOCAL_CS"], ".aux.xml")
    response = upload(planner, draft_plan, archive)
    assert response.status_code == 400, response.content
    assert response.json()["detail"] == REFUSED.replace("scan.prj", "scan.tif.aux.xml")
    response = upload(planner, draft_plan, archive, crs="EPSG:9214")
    assert response.status_code == 201, response.content
    assert response.json()["crs"] == "EPSG:9214"
    raster = RasterLayer.objects.get(pk=response.json()["id"])
    assert raster.georeference_method == GeoreferenceMethod.AUX
