"""A CRS that makes PROJ open grid files (+nadgrids=/path, +geoidgrids, a WKT
PARAMETERFILE) is refused with a clear 400 wherever a user or an uploaded file gives one:
the path is the caller's, not the server's to open. Before, a planner's upload with such a
CRS answered an HTML 500 (pyproj's "File not found" from Transformer.from_crs) and a raster
upload stored it, placing the scan far off Viet Nam."""

from __future__ import annotations

import shutil

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from importers.crs import parse_user_crs
from planning.errors import InvalidInput
from planning.models import Feature, Layer
from rasters.models import RasterLayer
from tests.files import shapefile_parts, upload_as_layer, write_vector, zip_dir
from tests.importers.test_vector_import import LOT_FIELDS, LOTS, SAMPLES
from tests.rasters.conftest import SCAN_SIZE, SCAN_TRANSFORM, pattern, write_tiff

pytestmark = pytest.mark.django_db
HUE_TM3 = "+proj=tmerc +lat_0=0 +lon_0=107 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84"
GRID_CRSS = [
    f"{HUE_TM3} +nadgrids=/etc/hostname",
    f"{HUE_TM3} +geoidgrids=/etc/passwd",
    "+proj=longlat +ellps=WGS84 +nadgrids=http://127.0.0.1:9/grid.tif",
]
REFUSED = "grid files"


def rows() -> tuple[int, int, int]:
    return Layer.objects.count(), Feature.objects.count(), RasterLayer.objects.count()


@pytest.fixture
def api(planner) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(planner)
    return client


@pytest.mark.parametrize("crs", GRID_CRSS)
def test_a_vector_upload_with_a_grid_crs_is_a_400(api, draft_plan, tmp_path, crs):
    path = write_vector(tmp_path / "lots.geojson", LOTS, LOT_FIELDS, driver="GeoJSON")
    before = rows()
    with path.open("rb") as handle:
        response = api.post(
            f"/api/revisions/{draft_plan.id}/uploads/",
            {"file": handle, "kind": "landuse", "name": "x", "crs": crs},
            format="multipart",
        )
    assert response.status_code == 400, response.content[:300]
    assert REFUSED in response.json()["detail"]
    assert rows() == before


def test_a_raster_upload_with_a_grid_crs_is_a_400(api, draft_plan, tmp_path):
    scan = write_tiff(
        tmp_path / "scan.tif", pattern(*SCAN_SIZE), transform=SCAN_TRANSFORM, crs="EPSG:9214"
    )
    before = rows()
    with scan.open("rb") as handle:
        response = api.post(
            f"/api/revisions/{draft_plan.id}/rasters/",
            {"file": handle, "crs": GRID_CRSS[0]},
            format="multipart",
        )
    assert response.status_code == 400, response.content[:300]
    assert REFUSED in str(response.json())
    assert rows() == before


def grid_shapefile(tmp_path):
    for part in shapefile_parts(SAMPLES / "shp" / "poly.shp"):
        shutil.copy(part, tmp_path / part.name)
    (tmp_path / "poly.prj").write_text(
        'PROJCS["grid",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]]'
        ',PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"]'
        ',PARAMETER["central_meridian",107],PARAMETER["scale_factor",0.9999],'
        'PARAMETER["false_easting",500000],UNIT["metre",1],'
        f'EXTENSION["PROJ4","{HUE_TM3} +nadgrids=/etc/hostname"]]'
    )
    return zip_dir(shapefile_parts(tmp_path / "poly.shp"), tmp_path / "grid.zip")


def test_a_shapefile_whose_prj_names_a_grid_is_refused(planner, draft_plan, tmp_path):
    archive = grid_shapefile(tmp_path)
    before = rows()
    with translation.override("en"), pytest.raises(InvalidInput, match=REFUSED):
        upload_as_layer(planner, draft_plan, archive, "landuse")
    assert rows() == before


def test_definitions_without_grid_files_are_accepted():
    legacy_web_mercator = (
        "+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m "
        "+nadgrids=@null +wktext +no_defs"
    )
    assert parse_user_crs(legacy_web_mercator).is_projected
    assert parse_user_crs(f"{HUE_TM3} +towgs84=-191.9,-39.3,-111.45,0,0,0,0").is_projected


def test_the_preview_refuses_a_grid_prj_too(api, tmp_path):
    """Review: inspecting the file (the mapping page's preview) transformed with the .prj's
    grid before the import's check, answering 500 after PROJ had opened the path."""
    with grid_shapefile(tmp_path).open("rb") as handle:
        response = api.post("/api/cad/inspect/", {"file": handle}, format="multipart")
    assert response.status_code == 400, response.content[:300]
    assert REFUSED in response.json()["detail"]


def test_an_init_file_in_a_users_definition_is_refused_before_proj_reads_it(tmp_path):
    source = tmp_path / "defs"
    source.write_text(f"<t> {HUE_TM3} +towgs84=0,0,0 <>\n")
    with translation.override("en"), pytest.raises(InvalidInput, match="init files"):
        parse_user_crs(f"+init={source}:t")
