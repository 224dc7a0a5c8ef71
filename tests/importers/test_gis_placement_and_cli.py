"""GIS files (shapefiles, MapInfo MIF) get what drawings get: the warning when an import
lands far from its project (a neighbouring VN-2000 zone), a CRS label that names the zone,
the attributes the kind requires that the file lacks, and `manage.py import_cad`.

Every file is real: written with GDAL (pyogrio) in the test. The project of `draft_plan`
lies in Hue (EPSG:9214, TM-3 107°); read in Da Nang's zone (EPSG:5899, 107°45′) the same
coordinates land about 80 km east.
"""

from __future__ import annotations

import io
import json
import logging
import re
from pathlib import Path

import pyogrio
import pytest
import shapely
from django.core.management import call_command
from django.core.management.base import CommandError
from pyproj import CRS
from rest_framework.test import APIClient

from importers import crs as import_crs
from importers.gis_mapping import import_mapped_dataset, inspect_dataset
from importers.service import inspect_drawing
from planning.crs import proj4_for
from planning.models import Feature, Layer, Revision
from tests.cad.drawings import MAPPING, plan_drawing
from tests.conftest import HUE_X, HUE_Y
from tests.files import shapefile_parts, upload_as_layer, write_vector, zip_dir

pytestmark = pytest.mark.django_db

DA_NANG = "province:da-nang"
HUE = "province:thua-thien-hue"
FAR = re.compile(
    r"The drawing lands (\d+) km from the project's boundary and other layers: check the "
    r"coordinate system \(a neighbouring TM-3 zone moves a drawing by tens of kilometres\)\."
)
LOT_FIELDS = {  # what Vietnamese GIS files carry: no `code`, no `function`
    "MA_LO": ["A1-01", "A1-02", "CX-01"],
    "CHUCNANG": ["ODT", "TMD", "CX"],
    "TEN": ["Đất ở", "Thương mại", "Vườn hoa"],
}


def lots() -> list:
    return [shapely.box(HUE_X + i * 60, HUE_Y, HUE_X + i * 60 + 50, HUE_Y + 40) for i in range(3)]


def shapefile(tmp_path: Path, *, prj: bool = True, fields=LOT_FIELDS) -> Path:
    """The three lots as a shapefile (EPSG:9214 .prj, or none); returns the .shp."""
    folder = tmp_path / ("shp" if prj else "noprj")
    folder.mkdir(parents=True)
    shp = write_vector(folder / "lots.shp", lots(), dict(fields), driver="ESRI Shapefile")
    if not prj:
        shp.with_suffix(".prj").unlink()
    return shp


def zipped(shp: Path) -> Path:
    return zip_dir(shapefile_parts(shp), shp.parent / "lots.zip")


def vn2000_mif(tmp_path: Path) -> Path:
    """The lots as MIF/MID in VN-2000 TM-3 107° the way MapInfo writes it: a custom datum
    (9999) carrying the VN-2000 shift, which pyproj cannot name."""
    folder = tmp_path / "mif"
    folder.mkdir(parents=True)
    path = write_vector(
        folder / "lots.mif",
        lots(),
        dict(LOT_FIELDS),
        driver="MapInfo File",
        crs=proj4_for(9214),
        FORMAT="MIF",
    )
    assert "CoordSys Earth Projection 8, 9999," in path.read_text(encoding="latin-1")
    return path


def far_km(warnings: list[str]) -> list[int]:
    return [int(match.group(1)) for w in warnings if (match := FAR.fullmatch(w))]


def uploaded(planner, revision, path: Path, **options):
    """The plain upload of the file as one land-use layer."""
    return upload_as_layer(planner, revision, path, **options)


def mapped(planner, revision, path: Path, mapping=None, **options):
    return import_mapped_dataset(
        user=planner,
        revision=revision,
        path=path,
        filename=path.name,
        mapping=mapping or {"*": "landuse"},
        **options,
    )


# --- F10: the far-from-project warning ---------------------------------------------------


def test_mapped_import_in_the_wrong_zone_warns(planner, draft_plan, tmp_path):
    path = zipped(shapefile(tmp_path, prj=False))
    result = mapped(planner, draft_plan, path, crs=DA_NANG)
    report = result.report
    assert report["source_crs"] == "EPSG:5899"
    assert report["crs_source"] == "user"
    (km,) = far_km(report["warnings"])
    assert 70 <= km <= 90  # 45′ of longitude at 16.5° N, less the boundary's margin
    assert result.layers[0].feature_count == 3  # a warning, not a refusal


def test_mapped_import_in_the_right_zone_does_not_warn(planner, draft_plan, tmp_path):
    path = zipped(shapefile(tmp_path, prj=False))
    report = mapped(planner, draft_plan, path, crs=HUE).report
    assert report["source_crs"] == "EPSG:9214"
    assert far_km(report["warnings"]) == []


def test_inspect_warns_only_when_told_the_project(draft_plan, tmp_path):
    path = zipped(shapefile(tmp_path, prj=False))
    project = draft_plan.project
    alone = inspect_dataset(path, path.name, DA_NANG)
    assert far_km(alone["warnings"]) == []  # nothing to compare with
    shown = inspect_drawing(path, path.name, DA_NANG, project=project)
    assert shown["crs"] == "EPSG:5899"
    assert shown["extent"][0] > 108.3  # placed in Da Nang's zone, as asked
    (km,) = far_km(shown["warnings"])
    assert 70 <= km <= 90
    right = inspect_drawing(path, path.name, HUE, project=project)
    assert far_km(right["warnings"]) == []


def test_api_inspect_of_a_revision_warns(planner, outsider, draft_plan, tmp_path):
    """The CAD page sends its revision: the API inspect compares with that project, and a
    revision the caller cannot see is not found (nothing about it leaks)."""
    path = zipped(shapefile(tmp_path, prj=False))

    def inspect(user, **fields):
        client = APIClient()
        client.force_authenticate(user)
        with path.open("rb") as handle:
            return client.post(
                "/api/cad/inspect/",
                {"file": handle, "crs": DA_NANG, **fields},
                HTTP_ACCEPT_LANGUAGE="en",
            )

    (km,) = far_km(inspect(planner, revision=draft_plan.pk).json()["warnings"])
    assert 70 <= km <= 90
    assert far_km(inspect(planner).json()["warnings"]) == []
    hidden = inspect(outsider, revision=draft_plan.pk)
    assert hidden.status_code == 404
    assert hidden.json() == inspect(outsider, revision=999_999).json()


def test_dxf_inspect_warns_the_same_way(draft_plan, tmp_path):
    path = plan_drawing(tmp_path / "plan.dxf")
    shown = inspect_drawing(path, path.name, DA_NANG, project=draft_plan.project)
    (km,) = far_km(shown["warnings"])
    assert 70 <= km <= 90


def test_plain_upload_in_the_wrong_zone_warns(planner, draft_plan, tmp_path):
    path = zipped(shapefile(tmp_path, prj=False))
    result = uploaded(planner, draft_plan, path, crs=DA_NANG)
    (km,) = far_km(result.report["warnings"])
    assert 70 <= km <= 90
    assert result.report["source_crs"] == "EPSG:5899"


# --- F5 / F11: CRS labels ----------------------------------------------------------------


def test_mapinfo_vn2000_is_labelled_with_its_epsg_code(planner, draft_plan, tmp_path):
    mif = vn2000_mif(tmp_path)
    declared = CRS.from_user_input(pyogrio.read_info(mif)["crs"])
    assert declared.to_epsg(min_confidence=70) is None  # pyproj alone cannot tell
    assert declared.name == "unnamed"
    archive = zip_dir([mif, mif.with_suffix(".mid")], tmp_path / "lots_mif.zip")
    shown = inspect_dataset(archive, archive.name)
    assert (shown["crs"], shown["crs_source"]) == ("EPSG:9214", "file")
    result = mapped(planner, draft_plan, archive)
    assert result.report["source_crs"] == "EPSG:9214"
    assert result.report["layers"][0]["source_crs"] == "EPSG:9214"
    assert Layer.objects.get(pk=result.layers[0].pk).source_crs == "EPSG:9214"
    assert far_km(result.report["warnings"]) == []


@pytest.mark.parametrize(
    ("definition", "given", "label"),
    [
        (proj4_for(5899), None, "EPSG:5899"),  # the catalogue's own proj string: "unknown"
        (proj4_for(5899), DA_NANG, "EPSG:5899"),
        (proj4_for(9214), "9214", "EPSG:9214"),
        ("EPSG:4326", None, "EPSG:4326"),
    ],
)
def test_describe_names_the_zone(definition, given, label):
    assert import_crs.describe(CRS.from_user_input(definition), given) == label


def test_describe_never_says_unnamed():
    """Another datum shift is not VN-2000: no zone is claimed, the definition is shown."""
    other = CRS.from_user_input(
        "+proj=tmerc +lat_0=0 +lon_0=107 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 "
        "+towgs84=-190,-40,-110,0,0,0,0 +units=m +no_defs"
    )
    assert other.name in ("unknown", "unnamed")
    label = import_crs.describe(other)
    assert label.startswith("+proj=tmerc +lat_0=0 +lon_0=107 +k=0.9999")
    assert import_crs.vn2000_zone(other) is None


# --- F3: missing attributes --------------------------------------------------------------


def test_mapped_import_reports_missing_attributes_as_the_upload_does(planner, draft_plan, tmp_path):
    fields = {"TEN": LOT_FIELDS["TEN"]}  # neither a code nor a function under any name
    path = zipped(shapefile(tmp_path, fields=fields))
    job = mapped(planner, draft_plan, path).report
    upload = uploaded(planner, draft_plan, path).report
    assert job["layers"][0]["missing_attributes"] == ["code", "function"]
    assert upload["missing_attributes"] == ["code", "function"]


def test_vietnamese_columns_give_the_attributes_qa_requires(planner, draft_plan, tmp_path):
    # MA_LO and CHUCNANG are the `code` and `function` QA requires (tests/importers/
    # test_vietnamese_columns.py); CHUCNANG is still the category (map colours, balance).
    path = zipped(shapefile(tmp_path))
    job = mapped(planner, draft_plan, path).report
    upload = uploaded(planner, draft_plan, path).report
    assert job["layers"][0]["missing_attributes"] == upload["missing_attributes"] == []
    read = {"code": "MA_LO", "function": "CHUCNANG"}
    assert job["layers"][0]["attribute_columns"] == upload["attribute_columns"] == read
    categories = Feature.objects.filter(layer__revision=draft_plan, layer__name__contains="lots")
    assert sorted(set(categories.values_list("category", flat=True))) == ["CX", "ODT", "TMD"]


def test_mapped_import_reports_nothing_missing_when_present(planner, draft_plan, tmp_path):
    fields = {"Code": ["A1", "A2", "A3"], "FUNCTION": ["DO", "CX", "HH"]}
    path = zipped(shapefile(tmp_path, fields=fields))
    report = mapped(planner, draft_plan, path, mapping={"*": "landuse"}).report
    assert report["layers"][0]["missing_attributes"] == []
    roads = mapped(planner, draft_plan, path, mapping={"*": "roads"}).report
    assert roads["layers"][0]["missing_attributes"] == []  # roads require nothing


# --- F2: manage.py import_cad with GIS files --------------------------------------------


def command(path: Path, project: str, *args: str) -> tuple[dict | str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_cad", str(path), "--project", project, *args, stdout=out, stderr=err)
    text = out.getvalue()
    return (json.loads(text) if "--json" in args else text), err.getvalue()


@pytest.mark.parametrize("form", ["zip", "shp", "mif"])
def test_command_imports_gis_files(planner, draft_plan, tmp_path, form):
    if form == "mif":
        path = vn2000_mif(tmp_path)
    else:
        shp = shapefile(tmp_path)
        path = zipped(shp) if form == "zip" else shp
    report, progress = command(
        path, draft_plan.project.code, "--mapping", json.dumps({"*": "landuse"}), "--json"
    )
    assert isinstance(report, dict)
    assert report["features"] == {"landuse": 3}
    assert (report["source_crs"], report["crs_source"]) == ("EPSG:9214", "file")
    # MA_LO and CHUCNANG are the code and function (importers.service.standard_attributes)
    assert report["layers"][0]["missing_attributes"] == []
    assert far_km(report["warnings"]) == []
    revision = Revision.objects.get(pk=report["revision"])
    assert revision.project == draft_plan.project
    assert revision.note == f"GIS: {path.name}"
    assert Feature.objects.filter(layer__revision=revision).count() == 3
    assert "Reading layer lots" in progress
    assert "100% Done." in progress
    assert "Traceback" not in progress


def test_command_warns_of_the_wrong_zone_and_takes_gis_encodings(planner, draft_plan, tmp_path):
    path = zipped(shapefile(tmp_path, prj=False))
    report, _progress = command(
        path,
        draft_plan.project.code,
        "--crs",
        DA_NANG,
        "--encoding",
        "utf-8",  # a GIS encoding; drawings take auto, tcvn3, vni or cp1258 only
        "--no-progress",
        "--json",
    )
    assert isinstance(report, dict)
    assert report["source_crs"] == "EPSG:5899"
    (km,) = far_km(report["warnings"])
    assert 70 <= km <= 90


def test_command_text_report_of_a_gis_file(planner, draft_plan, tmp_path):
    text, progress = command(zipped(shapefile(tmp_path)), draft_plan.project.code, "--no-progress")
    assert progress == ""
    assert "CRS EPSG:9214 (declared by the file), text as declared" in text
    assert "  landuse: 3 features" in text
    assert "  layer lots: 3 of 3 loaded, missing attributes: -" in text


def test_command_names_a_missing_shapefile_part(planner, draft_plan, tmp_path):
    shp = shapefile(tmp_path)
    shp.with_suffix(".dbf").unlink()
    before = Revision.objects.count()
    with pytest.raises(CommandError, match=r"The shapefile lots.shp is incomplete: .dbf missing"):
        command(shp, draft_plan.project.code, "--no-progress")
    assert Revision.objects.count() == before


def test_command_refuses_a_gis_encoding_for_a_drawing(planner, draft_plan, tmp_path):
    path = plan_drawing(tmp_path / "plan.dxf")
    with pytest.raises(CommandError, match="expected auto, tcvn3, vni or cp1258"):
        command(
            path, draft_plan.project.code, "--mapping", json.dumps(MAPPING), "--encoding", "utf-8"
        )


def test_a_non_dxf_named_dxf_fails_without_traceback_at_info(planner, draft_plan, tmp_path, caplog):
    """The fast reader's fallback says so at INFO; the traceback is for DEBUG only."""
    shp = shapefile(tmp_path)
    fake = tmp_path / "lots.dxf"
    fake.write_bytes(shp.read_bytes())
    caplog.set_level(logging.INFO, logger="importers.cad.fastdxf")
    with pytest.raises(CommandError):
        command(fake, draft_plan.project.code, "--no-progress")
    gave_up = [r for r in caplog.records if "gave up" in r.getMessage()]
    assert gave_up
    assert all(r.exc_info is None for r in gave_up)
