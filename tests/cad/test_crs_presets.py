"""VN-2000 TM-3 zones by province: the table, the API, and crs=province:<slug> in imports."""

from __future__ import annotations

import unicodedata

import pytest
from django.utils import translation
from pyproj import CRS, Transformer
from rest_framework.test import APIClient

from importers.cad.crs import normalise_crs, plausibility_warning
from importers.cad.provinces import preset_for, province_presets
from importers.service import import_cad
from planning.actions import CreateProject, CreateRevision
from planning.crs import proj4_for
from planning.errors import InvalidInput
from planning.models import Layer, Project
from tests.cad.drawings import MAPPING, plan_drawing

# A few provinces of the official table: central meridian -> our EPSG code.
KNOWN = {
    "thua-thien-hue": (107.0, 9214),
    "da-nang": (107.75, 5899),
    "ha-noi": (105.0, 5897),
    "thanh-pho-ho-chi-minh": (105.75, 9210),
    "quang-ninh": (107.75, 5899),
    "lai-chau": (103.0, 9205),
    "kien-giang": (104.5, 9207),
    "gia-lai": (108.5, 9218),
}


def test_every_province_has_a_zone_of_our_catalogue():
    presets = province_presets()
    assert len(presets) == 63
    assert len({p.slug for p in presets}) == 63
    for preset in presets:
        assert preset.province == unicodedata.normalize("NFC", preset.province)
        zone = CRS.from_user_input(proj4_for(preset.srid))
        assert zone.to_dict()["lon_0"] == pytest.approx(preset.central_meridian)
        assert zone.to_dict()["k"] == pytest.approx(0.9999)
    for slug, (meridian, srid) in KNOWN.items():
        preset = preset_for(slug)
        assert (preset.central_meridian, preset.srid) == (meridian, srid)
    assert preset_for("Thừa Thiên Huế").srid == 9214  # a name works as well as a slug
    assert preset_for("Thừa Thiên Huế").label.startswith("Thừa Thiên Huế – VN-2000 TM-3 107°00′")


def test_each_province_capital_falls_near_its_central_meridian():
    """A point of the province lies within 1.5° of its zone's meridian (TM-3 zones are 3° wide)."""
    capitals = {
        "thua-thien-hue": (107.58, 16.46),
        "ha-noi": (105.85, 21.03),
        "da-nang": (108.22, 16.05),
        "can-tho": (105.78, 10.03),
    }
    for slug, (lon, lat) in capitals.items():
        preset = preset_for(slug)
        zone = CRS.from_user_input(proj4_for(preset.srid))
        x, _ = Transformer.from_crs(4326, zone, always_xy=True).transform(lon, lat)
        assert abs(lon - preset.central_meridian) < 1.5
        assert 300_000 < x < 700_000


def test_api_lists_the_presets():
    response = APIClient().get("/api/cad/crs-presets/")
    assert response.status_code == 200
    rows = response.json()
    assert len(rows) == 63
    hue = next(row for row in rows if row["slug"] == "thua-thien-hue")
    assert hue["province"] == "Thừa Thiên Huế"
    assert hue["srid"] == 9214
    assert set(hue) >= {"province", "srid", "label"}


def test_province_crs_in_an_import(planner, draft_plan, tmp_path):
    result = import_cad(
        user=planner,
        revision=draft_plan,
        path=plan_drawing(tmp_path / "plan.dxf"),
        filename="plan.dxf",
        mapping=MAPPING,
        crs="province:thua-thien-hue",
    )
    assert result.report["source_crs"] == "EPSG:9214"
    assert result.report["warnings"] == []
    assert normalise_crs("province:Đà Nẵng") == "EPSG:5899"
    with pytest.raises(InvalidInput, match="Unknown province"):
        normalise_crs("province:atlantis")


pytestmark = pytest.mark.django_db


def _import(planner, revision, tmp_path, crs: str):
    return import_cad(
        user=planner,
        revision=revision,
        path=plan_drawing(tmp_path / "plan.dxf"),
        filename="plan.dxf",
        mapping=MAPPING,
        crs=crs,
    )


def _far(report) -> list[str]:
    return [w for w in report["warnings"] if "from the project's boundary" in w]


def test_a_drawing_read_in_a_neighbouring_zone_is_flagged(planner, draft_plan, tmp_path):
    """The Hue drawing read in Quảng Trị's zone (106°15′) keeps plausible coordinates but
    lands about 80 km west of its project: only the project's boundary tells."""
    with translation.override("en"):
        result = _import(planner, draft_plan, tmp_path, "province:quang-tri")
    assert result.report["source_crs"] == "EPSG:9212"
    assert not [w for w in result.report["warnings"] if "plausible extent" in w]
    (warning,) = _far(result.report)
    km = int(warning.split(" km ")[0].split()[-1])
    assert 60 <= km <= 100
    assert Layer.objects.filter(revision=draft_plan, source_format="DXF").exists()  # a warning


def test_a_project_without_boundary_is_judged_by_its_layers(planner, draft_plan, tmp_path):
    Project.objects.filter(pk=draft_plan.project_id).update(boundary=None)
    draft_plan.refresh_from_db()
    with translation.override("en"):
        near = _import(planner, draft_plan, tmp_path, "EPSG:9214")
        far = _import(planner, draft_plan, tmp_path, "province:quang-tri")
    assert _far(near.report) == []
    assert len(_far(far.report)) == 1


def test_an_empty_project_without_boundary_gives_no_distance_warning(planner, tmp_path):
    project = CreateProject(
        user=planner, code="empty", name="Trống", level=Project.Level.DETAILED, scale=500
    ).execute()
    revision = CreateRevision(user=planner, project=project).execute()
    with translation.override("en"):
        result = _import(planner, revision, tmp_path, "province:quang-tri")
    assert _far(result.report) == []


@pytest.mark.parametrize("language", ["en", "vi"])
def test_a_negative_extent_reads_as_a_range(language):
    """Local coordinates below zero: "N −3234 – −3109", not "N -3234–-3109"."""
    with translation.override(language):
        warning = plausibility_warning(CRS.from_epsg(9214), (-120.0, -3234.0, 88.0, -3109.0))
    assert warning is not None
    assert "−120 – 88" in warning
    assert "−3234 – −3109" in warning
    assert "–-" not in warning
    assert "-3" not in warning
