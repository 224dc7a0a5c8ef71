"""The "upload a layer" page and the upload API with real files (GDAL's and ezdxf's samples,
generated drawings) into the real PostGIS: every importer's report renders, the layer takes
the name typed, a failure says why feature by feature, a file in local coordinates asks for
a CRS, and a page that cannot be rendered leaves no layer behind."""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import pytest
import shapely
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from pyproj import Transformer
from rest_framework.test import APIClient

from planning.models import AuditEvent, Layer
from tests.cad.drawings import plan_drawing
from tests.conftest import HUE_X, HUE_Y
from tests.files import write_vector, zip_dir
from webmap.upload_summary import summarise

pytestmark = pytest.mark.django_db

SAMPLES = Path("/work/shared/samples")


def page_client(user, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def post_upload(client: Client, revision, path: Path, **fields):
    data = {
        "file": SimpleUploadedFile(path.name, path.read_bytes()),
        "kind": "landuse",
        "name": "Typed name",
        **fields,
    }
    return client.post(reverse("webmap:revision-upload", args=[revision.pk]), data)


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def mif_zip(tmp_path: Path) -> Path:
    parts = [SAMPLES / "mapinfo" / "small.mif", SAMPLES / "mapinfo" / "small.mid"]
    return zip_dir(parts, tmp_path / "small.zip")


def test_a_dxf_renders_its_report_with_the_counts(planner, draft_plan, tmp_path):
    """What QA saw fail: a DXF on the page (the CAD report has no features_loaded)."""
    drawing = plan_drawing(tmp_path / "plan.dxf")
    response = post_upload(page_client(planner), draft_plan, drawing)  # no CRS: assumed
    assert response.status_code == 200, text_of(response)[:3000]
    layers = Layer.objects.filter(revision=draft_plan, source_name="plan.dxf")
    assert [layer.name for layer in layers] == ["Typed name"]  # one layer, the typed name
    layer = layers.get()
    page = text_of(response)
    assert f"{layer.feature_count} features were loaded into layer “Typed name”." in page
    assert f'<dd data-count="loaded">{layer.feature_count}</dd>' in page
    assert '<dd data-count="entities">' in page  # CAD entities read, not features read
    assert '<dd data-count="read">' not in page
    assert layer.feature_count == 6  # the six lots
    assert "Choose the coordinate system if the drawing uses another one." in page
    assert "--crs" not in page  # the command line's hint stays on the command line
    event = AuditEvent.objects.get(action="layer.import_cad", revision=draft_plan)
    assert event.detail["layers"] == [layer.pk]


def test_the_sample_hatch_dxf_is_refused_with_its_reason(planner, draft_plan):
    """GDAL's hatch.dxf, the file of the QA report: its coordinates (a few units around
    0,0) lie outside Viet Nam in any CRS. A clear 400 on the form, no 500, no layer."""
    response = post_upload(page_client(planner), draft_plan, SAMPLES / "dxf" / "gdal_hatch.dxf")
    assert response.status_code == 400
    page = text_of(response)
    assert "outside Viet Nam" in page
    assert 'class="alert alert-error"' in page
    assert not Layer.objects.filter(revision=draft_plan, source_name="gdal_hatch.dxf").exists()


def test_the_source_layer_field_picks_one_cad_layer(planner, draft_plan, tmp_path):
    drawing = plan_drawing(tmp_path / "plan.dxf")
    fields = {"crs": "EPSG:9214", "kind": "annotation", "source_layer": "QH_KYHIEU_LO"}
    response = post_upload(page_client(planner), draft_plan, drawing, **fields)
    assert response.status_code == 200, text_of(response)[:3000]
    layer = Layer.objects.get(revision=draft_plan, source_name="plan.dxf")
    assert (layer.kind, layer.feature_count) == ("annotation", 5)  # the five labels only


def zipped(path: Path) -> Path:
    parts = sorted(path.parent.glob(path.stem + ".*"))
    return zip_dir(parts, path.parent / f"{path.stem}.zip")


@pytest.mark.parametrize(
    ("name", "driver", "crs"),
    [
        ("lots.gpkg", "GPKG", "EPSG:9214"),
        ("lots.geojson", "GeoJSON", "EPSG:9214"),
        ("lots.kml", "KML", "EPSG:4326"),
        ("lots.shp", "ESRI Shapefile", "EPSG:9214"),
        ("lots.mif", "MapInfo File", "EPSG:4326"),
    ],
)
def test_every_vector_format_takes_the_typed_name(planner, draft_plan, tmp_path, name, driver, crs):
    lots = [shapely.box(HUE_X + i * 50, HUE_Y, HUE_X + i * 50 + 40, HUE_Y + 40) for i in range(2)]
    if crs == "EPSG:4326":
        to_lonlat = Transformer.from_crs(9214, 4326, always_xy=True)
        lots = list(shapely.transform(lots, lambda xy: np.column_stack(to_lonlat.transform(*xy.T))))
    path = write_vector(tmp_path / name, lots, {"code": ["A1", "A2"]}, driver=driver, crs=crs)
    upload = zipped(path) if driver in ("ESRI Shapefile", "MapInfo File") else path
    response = post_upload(page_client(planner), draft_plan, upload, crs=crs)
    assert response.status_code == 200, text_of(response)[:3000]
    layer = Layer.objects.get(revision=draft_plan, source_name=upload.name)
    assert (layer.name, layer.feature_count) == ("Typed name", 2)
    page = text_of(response)
    assert '<dd data-count="loaded">2</dd>' in page
    assert '<dd data-count="read">2</dd>' in page


def test_a_failure_shows_the_reason_of_each_feature(planner, draft_plan, tmp_path):
    """Lines into a land-use layer: nothing loaded, and the page says why for each one."""
    lines = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": f"L{i}"},
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[107.58, 16.46 + i / 1000], [107.581, 16.46 + i / 1000]],
                },
            }
            for i in range(2)
        ],
    }
    path = tmp_path / "lines.geojson"
    path.write_text(json.dumps(lines))
    response = post_upload(page_client(planner), draft_plan, path, crs="EPSG:4326")
    assert response.status_code == 400
    page = text_of(response)
    assert "No feature could be loaded." in page
    assert (
        page.count(
            "Linestring does not fit the layer kind “Land-use lots and zones” (polygon expected)"
        )
        == 2
    )
    assert 'id="upload-rejected"' in page
    assert not Layer.objects.filter(revision=draft_plan, source_name="lines.geojson").exists()


def test_a_rejection_names_the_kind_by_its_translated_label(planner, draft_plan, tmp_path):
    """In Vietnamese the reason says "Lô đất và khu chức năng…", not the code "landuse"."""
    line = {"type": "LineString", "coordinates": [[107.58, 16.46], [107.581, 16.46]]}
    path = tmp_path / "line.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [{"type": "Feature", "properties": {"code": "L"}, "geometry": line}],
            }
        )
    )
    response = post_upload(page_client(planner, "vi"), draft_plan, path, crs="EPSG:4326")
    assert response.status_code == 400
    reasons = text_of(response).split('id="upload-rejected"', 1)[1]
    assert "Lô đất và khu chức năng sử dụng đất" in reasons
    assert "landuse" not in reasons


def test_a_mif_in_local_coordinates_asks_for_a_crs(planner, draft_plan, tmp_path):
    archive = mif_zip(tmp_path)
    response = post_upload(page_client(planner), draft_plan, archive)
    assert response.status_code == 400
    assert "The file has no usable CRS (none, or local coordinates); give one" in text_of(response)
    assert not Layer.objects.filter(revision=draft_plan, source_name="small.zip").exists()

    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(planner)
    url = f"/api/revisions/{draft_plan.pk}/uploads/"
    with archive.open("rb") as handle:
        refused = api.post(url, {"file": handle, "kind": "landuse", "name": "MIF"})
    assert refused.status_code == 400
    assert "local coordinates" in refused.json()["detail"]
    with archive.open("rb") as handle:  # a CRS places it (off Viet Nam: refused, no 500)
        placed = api.post(url, {"file": handle, "kind": "landuse", "name": "MIF", "crs": "9214"})
    assert placed.status_code == 400, placed.content
    assert "local coordinates" not in placed.json()["detail"]
    assert not Layer.objects.filter(revision=draft_plan).exclude(name="Lots").exists()


def test_the_api_names_a_dxf_layer_as_asked(planner, draft_plan, tmp_path):
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(planner)
    with plan_drawing(tmp_path / "plan.dxf").open("rb") as handle:
        response = api.post(
            f"/api/revisions/{draft_plan.pk}/uploads/",
            {"file": handle, "kind": "landuse", "name": "dxf"},
        )
    assert response.status_code == 201, response.content
    assert response.json()["layer"]["name"] == "dxf"


def test_an_unsupported_type_lists_the_formats(planner, draft_plan, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not a map")
    response = post_upload(page_client(planner), draft_plan, path)
    assert response.status_code == 415
    assert "upload a zipped shapefile (.zip)" in text_of(response)
    assert "CAD drawing (.dxf, .dwg)" in text_of(response)


@pytest.mark.parametrize(
    ("language", "cad"), [("en", "CAD drawing (.dxf, .dwg)"), ("vi", "bản vẽ CAD (.dxf, .dwg)")]
)
def test_the_file_help_names_every_accepted_type(planner, draft_plan, language, cad):
    """The help under the file field lists what the importer takes, DXF/DWG included."""
    client = page_client(planner, language)
    page = text_of(client.get(reverse("webmap:revision-upload", args=[draft_plan.pk])))
    help_text = page.split('name="file"', 1)[1]
    assert cad in help_text[:2000]
    assert "(.gpkg)" in help_text[:2000]


def test_a_page_that_cannot_render_leaves_no_layer(planner, draft_plan, tmp_path, monkeypatch):
    """The import and its page are one transaction: a rendering error undoes the import, so
    the planner's retry does not add a second copy of the layer."""

    def broken(*args, **kwargs):
        raise RuntimeError("the report cannot be rendered")

    monkeypatch.setattr("webmap.views.summarise", broken)
    client = page_client(planner)
    client.raise_request_exception = False
    drawing = plan_drawing(tmp_path / "plan.dxf")
    response = post_upload(client, draft_plan, drawing, crs="EPSG:9214")
    assert response.status_code == 500
    assert not Layer.objects.filter(revision=draft_plan, source_name="plan.dxf").exists()
    assert not AuditEvent.objects.filter(action="layer.import_cad").exists()


def test_the_upload_form_locks_its_button_on_submit(planner, draft_plan):
    page = page_client(planner).get(reverse("webmap:revision-upload", args=[draft_plan.pk]))
    text = page.content.decode()
    assert "data-submit-once" in text
    assert "webmap/dist/pages.js" in text


def test_summaries_of_both_report_shapes_and_of_garbage():
    vector = summarise(
        {
            "source_format": "GeoJSON",
            "features_read": 3,
            "features_loaded": 1,
            "rejected": [{"index": 1, "reason": "no geometry"}, {"index": 2, "reason": "x"}],
            "warnings": ["w"],
        }
    )
    assert (vector.loaded, vector.features_read, vector.entities_read) == (1, 3, None)
    assert [(r.where, r.reason) for r in vector.rejected] == [("1", "no geometry"), ("2", "x")]
    cad = summarise(
        {
            "features": {"landuse": 3, "roads": 2},
            "cad_layers": [{"total": 4}, {"total": 3}],
            "skipped": [{"layer": "0", "type": "SPLINE", "handle": "2A", "reason": "r"}],
            "unclosed": [{}],
            "label_issues": [{}, {}],
        },
        loaded=3,
    )
    assert (cad.loaded, cad.features_read, cad.entities_read) == (3, None, 7)
    assert cad.rejected[0].where == "0 · SPLINE · 2A"
    assert (cad.unclosed, cad.label_issues) == (1, 2)
    nothing = summarise({"features_loaded": "many", "rejected": "?", "warnings": None})
    assert (nothing.loaded, nothing.rejected, nothing.warnings) == (0, [], [])
    assert summarise(None).loaded == 0
    many = summarise({"rejected": [{"index": i, "reason": "r"} for i in range(250)]})
    assert (len(many.rejected), many.rejected_unlisted) == (200, 50)
    capped = summarise(
        {
            "features": {"landuse": 1},
            "skipped": [{"layer": "0", "type": "TEXT", "reason": "r"}] * 1000,
            "label_issues": [{}] * 1000,
            "unclosed": [],
            "totals": {"skipped": 21622, "label_issues": 1500, "unclosed": 0},
        }
    )
    assert (capped.rejected_total, capped.rejected_unlisted) == (21622, 21422)
    assert (capped.label_issues, capped.unclosed) == (1500, 0)


def test_an_empty_layer_name_is_the_files(planner, draft_plan, tmp_path):
    """QA walk: the required name refused the form, and the error page had cleared the
    chosen file, so the planner had to choose it again."""
    lots = [shapely.box(HUE_X, HUE_Y, HUE_X + 40, HUE_Y + 40)]
    path = write_vector(
        tmp_path / "Lô đất phường 1.gpkg", lots, {"code": ["A1"], "function": ["DO"]}, driver="GPKG"
    )
    response = post_upload(page_client(planner, "vi"), draft_plan, path, name="  ")
    assert response.status_code == 200, text_of(response)[:500]
    assert Layer.objects.filter(revision=draft_plan).latest("pk").name == "Lô đất phường 1"
