"""Entities whose coordinates are no numbers (NaN, inf) are refused with a clear message and
nothing written, on both read paths, where a closed polyline with a NaN vertex used to end
in a server error (GEOS cannot close such a ring) and a text at NaN was loaded as an empty
point (QA walk)."""

from __future__ import annotations

import json
from pathlib import Path

import ezdxf
import pytest
from rest_framework.test import APIClient

from planning.models import Feature, Layer
from tests.conftest import HUE_X, HUE_Y

pytestmark = pytest.mark.django_db


def bare(path: Path, entity: str) -> Path:
    """An ENTITIES section alone, as hand-made files come (read through ezdxf)."""
    path.write_text(f"0\nSECTION\n2\nENTITIES\n{entity}0\nENDSEC\n0\nEOF\n")
    return path


CLOSED = "0\nLWPOLYLINE\n8\n0\n90\n3\n70\n1\n10\nnan\n20\nnan\n10\n1\n20\n0\n10\n1\n20\n1\n"
TEXT = "0\nTEXT\n8\n0\n10\nnan\n20\nnan\n40\n1\n1\nA1\n"
LINE = "0\nLINE\n8\n0\n10\n0\n20\n0\n11\ninf\n21\n5\n"


def fast(path: Path) -> Path:
    """A drawing as AutoCAD saves it (the fast reader's path): a lot, and a closed
    polyline whose first vertex is NaN."""
    doc = ezdxf.new("R2010")
    msp = doc.modelspace()
    msp.add_lwpolyline([(HUE_X, HUE_Y), (HUE_X + 10, HUE_Y), (HUE_X + 10, HUE_Y + 10)], close=True)
    msp.add_lwpolyline([(0, 0), (1, 0), (1, 1)], close=True)
    doc.saveas(path)
    text = path.read_text()
    at = text.rindex("LWPOLYLINE")
    path.write_text(
        text[:at] + text[at:].replace(" 10\n0.0\n 20\n0.0\n", " 10\nnan\n 20\nnan\n", 1)
    )
    return path


@pytest.mark.parametrize(
    ("drawing", "mapping"),
    [
        (lambda p: bare(p, CLOSED), {"*": "landuse"}),
        (lambda p: bare(p, TEXT), {"*": "landuse"}),
        (lambda p: bare(p, LINE), {"*": "landuse"}),
        (lambda p: bare(p, LINE), {"*": "roads"}),
        (fast, {"*": "landuse"}),
    ],
    ids=["closed-polyline", "text", "line-landuse", "line-roads", "fast-reader"],
)
def test_coordinates_that_are_no_numbers_are_refused(
    planner, draft_plan, tmp_path, drawing, mapping
):
    path = drawing(tmp_path / "bad.dxf")
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(planner)
    with path.open("rb") as handle:
        inspected = client.post("/api/cad/inspect/", {"file": handle, "crs": "EPSG:9214"})
    assert inspected.status_code == 200, inspected.content[:300]
    json.loads(inspected.content)  # strict JSON: no NaN in the preview
    with path.open("rb") as handle:
        response = client.post(
            f"/api/revisions/{draft_plan.pk}/cad/",
            {"file": handle, "crs": "EPSG:9214", "mapping": json.dumps(mapping)},
        )
    assert response.status_code == 400, response.content[:300]
    assert "not numbers" in response.json()["detail"]
    assert "bad.dxf#" in response.json()["detail"]
    assert not Layer.objects.filter(revision=draft_plan, source_name="bad.dxf").exists()
    assert not Feature.objects.filter(source_ref__startswith="bad.dxf").exists()
