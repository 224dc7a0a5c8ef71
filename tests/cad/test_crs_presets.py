"""VN-2000 TM-3 zones by province: the table, the API, and crs=province:<slug> in imports."""

from __future__ import annotations

import unicodedata

import pytest
from pyproj import CRS, Transformer
from rest_framework.test import APIClient

from importers.cad.crs import normalise_crs
from importers.cad.provinces import preset_for, province_presets
from importers.service import import_cad
from planning.crs import proj4_for
from planning.errors import InvalidInput
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
