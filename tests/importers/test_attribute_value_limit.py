"""Attribute values over PLANNING_MAX_ATTRIBUTE_CHARS (hostile-input QA walk): a GeoJSON
lot whose code was 5,000,000 characters long was loaded (201), and then the dossier took
74 s to fail and the QA list weighed 15 MB. Every import path now refuses such a file
with a 400 naming the file, the feature and the attribute, and writes nothing."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import ezdxf
import pytest
import shapely
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from importers.gis_mapping import import_mapped_dataset
from importers.service import import_cad, import_upload, inspect_drawing
from planning.errors import InvalidInput
from planning.models import Feature, Layer
from tests.conftest import HUE_X, HUE_Y
from tests.files import write_vector

pytestmark = pytest.mark.django_db
LOTS = [shapely.box(HUE_X + i * 50, HUE_Y, HUE_X + i * 50 + 40, HUE_Y + 40) for i in range(3)]


def geojson_lots(path: Path, codes: list[str], **extra: str) -> Path:
    """Three Hue lots in VN-2000 written as text, as an attacker would (any length)."""
    features = [
        {
            "type": "Feature",
            "properties": {"code": code, "function": "DO", **extra},
            "geometry": shapely.geometry.mapping(lot),
        }
        for code, lot in zip(codes, LOTS, strict=True)
    ]
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::9214"}}
    path.write_text(json.dumps({"type": "FeatureCollection", "crs": crs, "features": features}))
    return path


def api_upload(planner, revision, path: Path):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(planner)
    upload = SimpleUploadedFile(path.name, path.read_bytes())
    return client.post(
        f"/api/revisions/{revision.pk}/uploads/", {"file": upload, "kind": "landuse", "name": "x"}
    )


def test_the_qa_walks_five_million_character_code_is_refused(planner, draft_plan, tmp_path):
    path = geojson_lots(tmp_path / "lots.geojson", ["A1", "x" * 5_000_000, "A3"])
    features = Feature.objects.count()
    response = api_upload(planner, draft_plan, path)
    assert response.status_code == 400, response.content[:2000]
    message = response.json()["detail"]
    assert message == (
        "lots.geojson, layer 'lots', feature no. 1: the value of the attribute 'code' is "
        "5,000,000 characters long; at most 10,000 are accepted. Shorten it and upload the "
        "file again; nothing was imported."
    )
    assert Feature.objects.count() == features
    assert not Layer.objects.filter(revision=draft_plan, name="x").exists()


def test_a_value_at_the_limit_is_taken_and_one_over_it_refused(planner, draft_plan, tmp_path):
    at_limit = geojson_lots(tmp_path / "ok.geojson", ["A1", "A2", "A3"], note="n" * 10_000)
    response = api_upload(planner, draft_plan, at_limit)
    assert response.status_code == 201, response.content[:2000]
    over = geojson_lots(tmp_path / "over.geojson", ["A1", "A2", "A3"], note="n" * 10_001)
    response = api_upload(planner, draft_plan, over)
    assert response.status_code == 400
    assert (
        "feature no. 0: the value of the attribute 'note' is 10,001 characters"
        in (response.json()["detail"])
    )


def zipped(path: Path) -> Path:
    target = path.with_name(path.stem + "-upload.zip")
    with zipfile.ZipFile(target, "w") as archive:
        for part in sorted(path.parent.glob(path.stem + ".*")):
            archive.write(part, part.name)
    return target


# Shapefile and MapInfo text fields hold 254 characters: the limit is lowered to test them.
FORMATS = [
    ("lots.shp", {"driver": "ESRI Shapefile"}, True),
    ("lots.tab", {"driver": "MapInfo File"}, True),
    ("lots.mif", {"driver": "MapInfo File"}, True),
    ("lots.gpkg", {"driver": "GPKG"}, False),
    ("lots.geojson", {"driver": "GeoJSON"}, False),
    ("lots.kml", {"driver": "KML", "crs": "EPSG:4326"}, False),
]


def lots_file(folder: Path, name: str, options: dict, zip_it: bool, ten: list[str]) -> Path:
    folder.mkdir()
    geoms = LOTS
    if options.get("crs") == "EPSG:4326":
        geoms = [shapely.Point(107.58 + i / 1000, 16.46).buffer(0.0002) for i in range(3)]
    fields = {"code": ["A1", "A2", "A3"], "ten": ten}
    path = write_vector(folder / name, geoms, fields, **options)
    return zipped(path) if zip_it else path


@pytest.mark.parametrize(("name", "options", "zip_it"), FORMATS, ids=[f[0] for f in FORMATS])
def test_every_gis_format_is_held_to_the_limit(
    planner, draft_plan, tmp_path, settings, name, options, zip_it
):
    settings.PLANNING_MAX_ATTRIBUTE_CHARS = 100
    ten = ["Đất ở", "d" * 150, "Cây xanh"]  # ASCII: the DBF holds 254 bytes
    path = lots_file(tmp_path / "f", name, options, zip_it, ten)
    layers = Layer.objects.count()
    with pytest.raises(InvalidInput) as refused:
        import_upload(
            user=planner,
            revision=draft_plan,
            path=path,
            filename=path.name,
            kind="landuse",
            name="x",
            crs="EPSG:9214" if "crs" not in options else None,
        )
    message = str(refused.value)
    assert f"{name}, layer " in message
    assert "the value of the attribute 'ten' is 150 characters long; at most 100" in message
    assert Layer.objects.count() == layers


def test_the_mapping_step_refuses_on_inspect_and_import(planner, draft_plan, tmp_path, settings):
    """The CAD page's path for GIS files (importers.gis_mapping) reads through the same
    reader: its inspection and its import both say it."""
    settings.PLANNING_MAX_ATTRIBUTE_CHARS = 100
    path = lots_file(tmp_path / "f", "lots.shp", {"driver": "ESRI Shapefile"}, True, ["a"] * 3)
    inspect_drawing(path, path.name)  # within the limit: listed
    long = lots_file(
        tmp_path / "g", "lots.shp", {"driver": "ESRI Shapefile"}, True, ["b" * 101] * 3
    )
    with pytest.raises(InvalidInput, match=r"lots\.shp, layer 'lots', feature no\. 0: .* 'ten'"):
        inspect_drawing(long, long.name)
    layers = Layer.objects.count()
    with pytest.raises(InvalidInput, match="'ten' is 101 characters long"):
        import_mapped_dataset(
            user=planner,
            revision=draft_plan,
            path=long,
            filename=long.name,
            mapping={"*": "landuse"},
            crs="EPSG:9214",
        )
    assert Layer.objects.count() == layers


def test_an_attribute_name_over_the_limit_is_refused(planner, draft_plan, tmp_path, settings):
    settings.PLANNING_MAX_ATTRIBUTE_CHARS = 100
    path = geojson_lots(tmp_path / "lots.geojson", ["A1", "A2", "A3"], **{"k" * 500: "v"})
    response = api_upload(planner, draft_plan, path)
    assert response.status_code == 400
    message = response.json()["detail"]
    assert "lots.geojson, layer 'lots': the name of the attribute 'kkkk" in message
    assert "is 500 characters long; at most 100 are accepted" in message
    assert "k" * 61 not in message  # the name is quoted cut, not whole


def drawing(path: Path, *, text: str = "A1", layer: str = "QH_KYHIEU") -> Path:
    doc = ezdxf.new("R2010")
    doc.layers.add(layer)
    doc.modelspace().add_mtext(text, dxfattribs={"layer": layer, "insert": (HUE_X, HUE_Y)})
    doc.saveas(path)
    return path


def run_cad(planner, revision, path: Path):
    return import_cad(
        user=planner,
        revision=revision,
        path=path,
        filename=path.name,
        mapping={"*": "annotation"},
        crs="EPSG:9214",
    )


def test_a_drawings_text_over_the_limit_is_refused_by_its_handle(planner, draft_plan, tmp_path):
    """Under the CAD reader's own bound (100,000 characters a text), over the attributes'."""
    path = drawing(tmp_path / "plan.dxf", text="Ghi chú " * 2_000)  # 16,000 characters
    handle = next(iter(ezdxf.readfile(path).modelspace())).dxf.handle
    layers = Layer.objects.count()
    with pytest.raises(InvalidInput) as refused:
        run_cad(planner, draft_plan, path)
    assert str(refused.value).startswith(
        f"plan.dxf, entity with handle {handle}: the value of the attribute 'text' is "
        "16,000 characters long; at most 10,000 are accepted."
    )
    assert Layer.objects.count() == layers
    run_cad(planner, draft_plan, drawing(tmp_path / "short.dxf", text="Ghi chú " * 1_000))


def test_a_drawings_layer_name_over_the_limit_is_refused(planner, draft_plan, tmp_path, settings):
    settings.PLANNING_MAX_ATTRIBUTE_CHARS = 100
    path = drawing(tmp_path / "plan.dxf", layer="L" * 300)
    with pytest.raises(InvalidInput, match="the value of the attribute 'cad_layer' is 300 char"):
        run_cad(planner, draft_plan, path)


def test_a_list_value_is_measured_as_stored(planner, draft_plan, tmp_path, settings):
    """A GeoJSON array is stored as its text: the text is what the limit bounds."""
    settings.PLANNING_MAX_ATTRIBUTE_CHARS = 100
    path = geojson_lots(tmp_path / "lots.geojson", ["A1", "A2", "A3"])
    data = json.loads(path.read_text())
    data["features"][2]["properties"]["tags"] = ["t" * 60, "u" * 60]
    path.write_text(json.dumps(data))
    response = api_upload(planner, draft_plan, path)
    assert response.status_code == 400, response.content[:2000]
    assert "feature no. 2: the value of the attribute 'tags' is " in response.json()["detail"]
