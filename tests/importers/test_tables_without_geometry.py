"""A MapInfo table without its .map (or .dat, .id), a bare .tab and a GeoPackage attribute
table (hostile-input QA walk): GDAL reads the first and the last as tables without
geometry, which the reader took for WKB and answered 500 on every entry point. Each is now
a 400 that names what is missing, and nothing is written."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pyogrio.raw
import pytest
import shapely
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from planning.models import Layer
from tests.conftest import HUE_X, HUE_Y
from tests.files import write_vector

pytestmark = pytest.mark.django_db
LOTS = [shapely.box(HUE_X + i * 50, HUE_Y, HUE_X + i * 50 + 40, HUE_Y + 40) for i in range(2)]


def mapinfo_table(folder: Path, *, without: tuple[str, ...]) -> dict[str, Path]:
    """lots.tab and its files as GDAL writes them, less the suffixes `without`."""
    folder.mkdir()
    write_vector(folder / "lots.tab", LOTS, {"code": ["A1", "A2"]}, driver="MapInfo File")
    parts = {p.suffix.lower(): p for p in folder.iterdir()}
    assert set(parts) == {".tab", ".dat", ".map", ".id"}
    for suffix in without:
        parts.pop(suffix).unlink()
    return parts


def zipped(parts: dict[str, Path], target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for path in parts.values():
            archive.write(path, path.name)
    return target


def api(planner) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(planner)
    return client


def upload(client, revision, path: Path):
    return client.post(
        f"/api/revisions/{revision.pk}/uploads/",
        {"file": SimpleUploadedFile(path.name, path.read_bytes()), "kind": "landuse", "name": "x"},
    )


def inspect(client, path: Path):
    return client.post(
        "/api/cad/inspect/", {"file": SimpleUploadedFile(path.name, path.read_bytes())}
    )


def upload_page(planner, revision, path: Path):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(planner)
    data = {
        "file": SimpleUploadedFile(path.name, path.read_bytes()),
        "kind": "landuse",
        "name": "x",
    }
    return client.post(reverse("webmap:revision-upload", args=[revision.pk]), data)


def refusal(response) -> str:
    assert response.status_code == 400, response.content[:2000]
    return response.content.decode()


def test_a_table_without_its_map_file_is_a_400_everywhere(planner, draft_plan, tmp_path):
    """The QA walk's zip: lots.tab, lots.dat, lots.id and no lots.map."""
    archive = zipped(mapinfo_table(tmp_path / "t", without=(".map",)), tmp_path / "lots.zip")
    layers = Layer.objects.count()
    said = "The MapInfo table lots.tab is incomplete: .map missing from the archive."
    for response in (
        upload(api(planner), draft_plan, archive),
        inspect(api(planner), archive),
    ):
        message = refusal(response)
        assert said in message
        assert "Without its .map file the table has no geometry to import." in message
    page = refusal(upload_page(planner, draft_plan, archive))
    assert said in page
    assert Layer.objects.count() == layers


@pytest.mark.parametrize(
    ("without", "missing"), [((".id",), ".id"), ((".dat", ".map"), ".dat, .map")]
)
def test_each_missing_file_of_a_table_is_named(planner, draft_plan, tmp_path, without, missing):
    archive = zipped(mapinfo_table(tmp_path / "t", without=without), tmp_path / "lots.zip")
    message = refusal(upload(api(planner), draft_plan, archive))
    assert f"lots.tab is incomplete: {missing} missing from the archive." in message
    assert ("no geometry" in message) == (".map" in without)


def test_a_dbf_table_is_asked_for_its_dbf(tmp_path):
    """A "Type DBF" table keeps its records in a .dbf (GDAL reads that in place of a .dat)."""
    from importers.sources import mapinfo_parts

    tab = tmp_path / "lots.tab"
    tab.write_bytes(
        b"!table\n!version 300\n!charset WindowsLatin1\n\nDefinition Table\n  Type DBF\n"
    )
    assert mapinfo_parts(tab) == (".dbf", ".map", ".id")


def test_a_bare_tab_asks_for_its_files_by_name(planner, draft_plan, tmp_path):
    """Uploaded alone it was "corrupt or not that format"; it is one file of four."""
    tab = mapinfo_table(tmp_path / "t", without=())[".tab"]
    for response in (upload(api(planner), draft_plan, tab), inspect(api(planner), tab)):
        message = refusal(response)
        assert (
            "lots.tab is one file of a MapInfo table: zip it with lots.dat, lots.map, lots.id"
            in message
        )
    assert "zip it with lots.dat, lots.map, lots.id" in refusal(
        upload_page(planner, draft_plan, tab)
    )
    assert not Layer.objects.filter(revision=draft_plan, name="x").exists()


def test_the_whole_table_still_imports(planner, draft_plan, tmp_path):
    archive = zipped(mapinfo_table(tmp_path / "t", without=()), tmp_path / "lots.zip")
    response = upload(api(planner), draft_plan, archive)
    assert response.status_code == 201, response.content[:2000]
    assert response.json()["report"]["features_loaded"] == 2


def geopackage_with_a_table(path: Path) -> Path:
    """The lots and, beside them, a table of attributes only (a QGIS project's lookup)."""
    write_vector(path, LOTS, {"code": ["A1", "A2"]}, driver="GPKG", layer="lots")
    notes = [np.array(["ghi chú 1", "ghi chú 2"], dtype=object)]
    pyogrio.raw.write(
        path, None, notes, ["note"], driver="GPKG", layer="notes", geometry_type=None, append=True
    )
    return path


def test_an_attribute_table_is_refused_as_a_layer_and_listed_on_inspect(
    planner, draft_plan, tmp_path
):
    gpkg = geopackage_with_a_table(tmp_path / "plan.gpkg")
    client = api(planner)
    response = client.post(
        f"/api/revisions/{draft_plan.pk}/uploads/",
        {
            "file": SimpleUploadedFile(gpkg.name, gpkg.read_bytes()),
            "kind": "landuse",
            "name": "x",
            "source_layer": "notes",
        },
    )
    message = refusal(response)
    assert (
        "The layer 'notes' of plan.gpkg has no geometry: it is a table of attributes only."
        in message
    )
    assert not Layer.objects.filter(revision=draft_plan, name="x").exists()
    shown = inspect(client, gpkg)
    assert shown.status_code == 200, shown.content[:2000]
    totals = {layer["name"]: layer["total"] for layer in shown.json()["layers"]}
    assert totals == {"lots": 2, "notes": 0}  # listed, to be mapped to "ignore"


def mif_table(folder: Path) -> dict[str, Path]:
    """lots.mif and lots.mid as GDAL writes them (two lots, one column)."""
    folder.mkdir()
    write_vector(folder / "lots.mif", LOTS, {"code": ["A1", "A2"]}, driver="MapInfo File")
    parts = {p.suffix.lower(): p for p in folder.iterdir()}
    assert set(parts) == {".mif", ".mid"}
    return parts


def test_a_mif_without_its_mid_is_refused_not_imported_empty(planner, draft_plan, tmp_path):
    """GDAL reads a .mif alone as lots whose every attribute is empty."""
    parts = mif_table(tmp_path / "m")
    alone = {".mif": parts[".mif"]}
    said = "lots.mif declares 1 column, whose values are in its .mid file"
    for path in (zipped(alone, tmp_path / "lots.zip"), parts[".mif"]):
        assert said in refusal(upload(api(planner), draft_plan, path))
    assert not Layer.objects.filter(revision=draft_plan, name="x").exists()
    whole = upload(api(planner), draft_plan, zipped(parts, tmp_path / "whole.zip"))
    assert whole.status_code == 201, whole.content[:2000]
    codes = Layer.objects.get(revision=draft_plan, name="x").features.values_list(
        "attributes__code", flat=True
    )
    assert sorted(codes) == ["A1", "A2"]
