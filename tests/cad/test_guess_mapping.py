"""manage.py import_cad without --mapping guesses each layer's kind from its name as the CAD
page does, and says so (QA4 finding 10)."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import ezdxf
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from importers.cad.guess import guess_mapping
from importers.cad.mapping import BUILDING_LINES
from planning.layer_kinds import KINDS
from planning.models import Revision
from tests.cad.drawings import MAPPING, plan_drawing

NAMES = [
    "QH_RANHGIOI_LO", "QH_KYHIEU", "HATCH_ODT", "GIAO_THONG", "CHI_GIOI_DO", "CHỈ GIỚI XD",
    "KHUNG_TEN", "Defpoints", "0", "QH_CAYXANH", "Ranh giới quy hoạch", "nhà ở", "đường đỏ ",
    "CAP_NUOC", "TEXT", "xyz", "DIM-1", "LO-DAT", "QH_TIMDUONG", "lưới",
]  # fmt: skip
GUESS_JS = Path(settings.BASE_DIR) / "webmap/frontend/src/cad/guess.js"


def test_the_command_line_guesses_as_the_cad_page():
    """The CAD page's guess.js run by node on the same names gives the same targets."""
    available = sorted([*KINDS, BUILDING_LINES])
    script = (
        f"import {{ guessKind }} from {json.dumps(GUESS_JS.as_uri())};"
        f"const available = new Set({json.dumps(available)});"
        f"const names = {json.dumps(NAMES)};"
        "console.log(JSON.stringify(names.map((n) => guessKind(n, available) || 'ignore')));"
    )
    done = subprocess.run(
        ["node", "--input-type=module", "-e", script], capture_output=True, text=True, check=True
    )
    on_the_page = dict(zip(NAMES, json.loads(done.stdout), strict=True))
    guessed = guess_mapping([{"name": n, "total": 1} for n in NAMES], available)
    assert guessed.pop("*") == "ignore"
    assert guessed == on_the_page
    assert guessed["QH_RANHGIOI_LO"] == "landuse"
    assert guessed["KHUNG_TEN"] == "ignore"
    assert guessed["QH_TIMDUONG"] == "roads"  # road centre lines (tim đường)
    assert guessed["CHỈ GIỚI XD"] == BUILDING_LINES
    assert guessed["GIAO_THONG"] == "roads"


def run(path: Path, project: str, *extra: str) -> str:
    out = io.StringIO()
    call_command(
        "import_cad", str(path), "--project", project, "--crs", "9214", *extra,
        stdout=out, stderr=io.StringIO(), no_progress=True,
    )  # fmt: skip
    return out.getvalue()


@pytest.mark.django_db
def test_without_mapping_the_layers_are_guessed_and_listed(planner, draft_plan, tmp_path):
    path = plan_drawing(tmp_path / "plan.dxf")
    said = run(path, draft_plan.project.code)
    assert "Mapping (guessed from the layer names; give --mapping to choose):" in said
    for layer in ("QH_RANHGIOI_LO", "QH_HATCH", "QH_KYHIEU_LO"):
        assert f"  {layer} -> landuse" in said
    assert "  KHUNG_TEN -> ignore" in said  # the title block is no lot
    guessed = json.loads(run(path, draft_plan.project.code, "--json"))
    assert guessed["mapping_source"] == "guessed"
    assert guessed["mapping"] == {**MAPPING, "*": "ignore"}
    given = json.loads(
        run(path, draft_plan.project.code, "--json", "--mapping", json.dumps(MAPPING))
    )
    assert given["mapping_source"] == "option"
    assert "Mapping" not in run(path, draft_plan.project.code, "--mapping", json.dumps(MAPPING))
    assert guessed["features"] == given["features"] == {"landuse": given["features"]["landuse"]}
    assert any("KHUNG_TEN" in note for note in guessed["notes"])


@pytest.mark.django_db
def test_a_drawing_whose_names_say_nothing_needs_a_mapping(planner, draft_plan, tmp_path):
    doc = ezdxf.new("R2010")
    doc.modelspace().add_lwpolyline(
        [(0, 0), (9, 0), (9, 9)], close=True, dxfattribs={"layer": "ABC"}
    )
    doc.saveas(tmp_path / "abc.dxf")
    before = Revision.objects.count()
    with pytest.raises(CommandError, match=r"No layer name suggests .*ABC.*--mapping"):
        run(tmp_path / "abc.dxf", draft_plan.project.code)
    assert Revision.objects.count() == before
