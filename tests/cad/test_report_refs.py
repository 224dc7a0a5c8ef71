"""References in report entries name the entities involved, not their neighbours (QA4
finding 12)."""

from __future__ import annotations

from pathlib import Path

import ezdxf
import pytest
from django.conf import settings
from django.db import connection
from django.utils import translation

from importers import loader
from importers.cad.convert import CadOptions, convert
from planning.errors import InvalidInput
from planning.models import Layer
from tests.cad.drawings import E0, N0

GAP = 0.02  # loose lot lines miss each other by 2 cm, as drawn


def two_lots_and_a_duplicate(path: Path) -> tuple[Path, str, str]:
    """Two 40 x 30 m lots as loose LINEs sharing an edge, a 38 m line drawn again over
    the right lot's top edge (its end is noded onto the edge: it merges into it), and a
    38 m spur out of the right lot's top corner drawn twice. Returns the file and the
    spur's two handles."""
    doc = ezdxf.new("R2010")
    msp = doc.modelspace()

    def line(start, end):
        return msp.add_line(start, end, dxfattribs={"layer": "LO"}).dxf.handle

    x0, x1, x2, top = E0, E0 + 40, E0 + 80, N0 + 30
    line((x0, N0), (x1 - GAP, N0))
    line((x1, N0), (x2 - GAP, N0))
    line((x0, N0 + GAP), (x0, top))
    line((x1, N0 + GAP), (x1, top - GAP))  # the shared edge
    line((x2, N0), (x2, top - GAP))
    line((x1, top), (x0 + GAP, top))
    line((x2, top), (x1 + GAP, top))
    line((x1, top), (x2 - 2, top))  # drawn again over the top edge
    spur = line((x2, top), (x2 + 38, top + GAP))
    duplicate = line((x2 + 38, top + GAP), (x2, top))
    doc.saveas(path)
    return path, duplicate, spur


def test_an_unclosed_entry_names_the_lines_it_lies_on(tmp_path):
    path, duplicate, spur = two_lots_and_a_duplicate(tmp_path / "dup.dxf")
    options = CadOptions({"LO": "landuse"}, crs="EPSG:9214")
    conversion = convert(path, "dup.dxf", options, tmp_path)
    assert len(conversion.outputs["landuse"]) == 2
    (entry,) = conversion.report.unclosed
    assert entry["length"] == pytest.approx(38, abs=0.05)
    assert entry["refs"] == sorted([f"LO#{duplicate}", f"LO#{spur}"])


@pytest.mark.django_db
def test_the_outside_error_lists_distinct_refs_with_handles_first(planner, draft_plan):
    layer = Layer.objects.create(
        revision=draft_plan, kind="landuse", name="far", created_by=planner
    )
    far = "0101000020E61000000000000000004E400000000000004E40"  # POINT(60 60), EPSG:4326
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT encode(ST_AsEWKB(ST_Transform(%s::geometry, %s)), 'hex')",
            [far, settings.PLANNING_STORAGE_SRID],
        )
        (wkb,) = cursor.fetchone()
    refs = ["f.dxf#", "f.dxf#40", "f.dxf#40", "f.dxf#41"]
    with translation.override("en"), pytest.raises(InvalidInput) as raised:
        loader.copy_features(layer.pk, [wkb] * 4, [None] * 4, [{}] * 4, [""] * 4, refs)
    assert "4 of 4 features" in raised.value.message
    assert "(f.dxf#40, f.dxf#41)" in raised.value.message
