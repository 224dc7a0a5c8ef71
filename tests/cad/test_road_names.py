"""Texts on a layer mapped to roads name the nearest road (its `name`); a text near no
road, a second name and texts on other non-annotation layers are reported as skipped. QA
walk: "Đường Lê Lợi" on the roads layer vanished and the report said nothing was skipped."""

from __future__ import annotations

from pathlib import Path

import ezdxf
import pytest

from importers.cad.build import ROAD_NAME_REACH
from importers.cad.convert import CadOptions, convert
from tests.cad.drawings import E0, N0

pytestmark = pytest.mark.django_db
MAPPING = {"GIAO_THONG": "roads", "HA_TANG": "infrastructure"}


def drawing(path: Path) -> Path:
    """Two parallel roads 60 m apart, each with its name written beside it; a third name far
    from both; a second name beside the first road; a text on the infrastructure layer."""
    doc = ezdxf.new("R2010")
    msp = doc.modelspace()
    roads = {"layer": "GIAO_THONG"}
    msp.add_lwpolyline([(E0, N0), (E0 + 200, N0)], dxfattribs=roads)
    msp.add_line((E0, N0 + 60), (E0 + 200, N0 + 60), dxfattribs=roads)
    msp.add_text("Đường  Lê Lợi", dxfattribs={**roads, "insert": (E0 + 50, N0 + 3)})
    msp.add_text("Đường Hùng Vương", dxfattribs={**roads, "insert": (E0 + 50, N0 + 57)})
    msp.add_text("Đường Trần Phú", dxfattribs={**roads, "insert": (E0 + 150, N0 + 9)})
    # What roads layers also carry, nearer than the names: no names (review)
    msp.add_text("MC 1-1", dxfattribs={**roads, "insert": (E0 + 20, N0 + 1)})
    msp.add_text("B=13.5m", dxfattribs={**roads, "insert": (E0 + 30, N0 + 61)})
    msp.add_text("Nút giao", dxfattribs={**roads, "insert": (E0 + 90, N0 + 59)})
    far = N0 + 60 + ROAD_NAME_REACH + 5
    msp.add_text("Đường Xa", dxfattribs={**roads, "insert": (E0 + 50, far)})
    msp.add_line((E0, N0 - 30), (E0 + 200, N0 - 30), dxfattribs={"layer": "HA_TANG"})
    msp.add_text("Cống thoát nước", dxfattribs={"layer": "HA_TANG", "insert": (E0, N0 - 28)})
    doc.saveas(path)
    return path


@pytest.mark.parametrize("fast_reader", [True, False])
def test_texts_name_the_nearest_road_and_the_rest_is_reported(tmp_path, fast_reader):
    path = drawing(tmp_path / "roads.dxf")
    options = CadOptions(mapping=MAPPING, crs="EPSG:9214", fast_reader=fast_reader)
    conversion = convert(path, path.name, options, tmp_path)
    names = sorted(f.attributes.get("name", "") for f in conversion.outputs["roads"])
    # "Nút giao" (a junction) is nearer the second road, but a road's name begins "Đường"
    assert names == ["Đường Hùng Vương", "Đường Lê Lợi"]
    report = conversion.report
    reasons = sorted(entry["reason"] for entry in report.skipped)
    kept_as_annotation = (
        "texts are kept on layers mapped to annotation, or as lot labels and road names"
    )
    assert reasons == [
        "a second name for a road already named “Đường Hùng Vương”",
        "a second name for a road already named “Đường Lê Lợi”",
        f"a text on a roads layer with no road within {ROAD_NAME_REACH:g} m",
        *[kept_as_annotation] * 3,  # MC 1-1, B=13.5m, the infrastructure text
    ]
    assert report.totals["skipped"] == 6
    assert all(entry["location"] for entry in report.skipped)  # shown on the map
    assert len(conversion.outputs["infrastructure"]) == 1
