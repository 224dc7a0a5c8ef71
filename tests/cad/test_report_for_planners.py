"""What a planner reads about a conversion, found by a QA walk through the planner's path:
the real number of skipped entities when the report lists only the first ones, progress
that names layers as the page does, a clear word for a file that is no DXF at all, and a
command-line report that stays readable (no red progress bar, no 20 KB lines)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import ezdxf
import pytest
from django.core.management import call_command
from django.core.management.base import OutputWrapper
from django.utils import translation

from importers.cad.convert import LIST_CAP
from importers.management.commands.import_cad import ProgressBar
from importers.service import import_cad
from planning.errors import InvalidInput
from planning.layer_kinds import KINDS
from tests.cad.drawings import E0, MAPPING, N0, plan_drawing

pytestmark = pytest.mark.django_db
EXTRA_POINTS = LIST_CAP + 5


def plan_with_points(path: Path) -> Path:
    """The generated plan plus more POINTs on a land-use layer than a report list keeps
    (survey points drawn on the lot layer: each one is skipped, it cannot bound a lot)."""
    doc = ezdxf.readfile(plan_drawing(path.with_name("base.dxf")))
    msp = doc.modelspace()
    for index in range(EXTRA_POINTS):
        msp.add_point((E0 + index % 90, N0 - 5 - index // 90), dxfattribs={"layer": "QH_DIEM"})
    doc.saveas(path)
    return path


def test_the_report_keeps_the_total_of_a_list_it_cuts(planner, draft_plan, tmp_path):
    drawing = plan_with_points(tmp_path / "points.dxf")
    result = import_cad(
        user=planner,
        revision=draft_plan,
        path=drawing,
        filename=drawing.name,
        mapping={**MAPPING, "QH_DIEM": "landuse"},
        crs="EPSG:9214",
    )
    report = result.report
    assert len(report["skipped"]) == LIST_CAP
    assert report["totals"] == {
        "skipped": EXTRA_POINTS,
        "unclosed": len(report["unclosed"]),
        "label_issues": len(report["label_issues"]),
    }


def test_progress_names_the_layers_as_the_page_does(planner, draft_plan, tmp_path):
    messages: list[str] = []
    import_cad(
        user=planner,
        revision=draft_plan,
        path=plan_drawing(tmp_path / "plan.dxf"),
        filename="plan.dxf",
        mapping=MAPPING,
        crs="EPSG:9214",
        progress=lambda pct, message: messages.append(message),
    )
    label = str(KINDS["landuse"].label)
    steps = [m for m in messages if label in m]
    assert [m.split(" ")[0] for m in steps] == ["Building", "Loading"], messages
    assert not any("landuse" in m for m in messages), messages


SHAPEFILES = Path(__file__).resolve().parents[2].parent / "shared" / "samples" / "shp"


@pytest.mark.parametrize("content", [(SHAPEFILES / "poly.dbf").read_bytes(), b"Notes\nA1\n" * 50])
def test_a_file_that_is_no_dxf_is_called_so(planner, draft_plan, tmp_path, content):
    renamed = tmp_path / "plan.dxf"  # a DBF, a text file saved under a drawing's name
    renamed.write_bytes(content)
    with pytest.raises(InvalidInput) as error:
        import_cad(
            user=planner,
            revision=draft_plan,
            path=renamed,
            filename=renamed.name,
            mapping=MAPPING,
        )
    assert error.value.message.startswith("The file is not a DXF drawing"), error.value.message
    assert "group code" not in error.value.message


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_on_a_terminal_is_not_coloured_as_an_error():
    stream = Terminal()
    stderr = OutputWrapper(stream)
    stderr.style_func = lambda text: f"\x1b[31;1m{text}\x1b[0m"  # what BaseCommand sets
    bar = ProgressBar(stderr)
    bar.update(40, "Building the lots")
    bar.done()
    assert "\x1b[" not in stream.getvalue()
    assert "[############------------------]  40% Building the lots" in stream.getvalue()
    assert "100% Done." in stream.getvalue()


def test_the_text_report_says_how_many_and_keeps_its_lines_short(draft_plan, tmp_path):
    drawing = plan_with_points(tmp_path / "points.dxf")
    out = io.StringIO()
    mapping = {**MAPPING, "QH_DIEM": "landuse", "KHUNG_TEN": "landuse"}
    call_command(
        "import_cad",
        str(drawing),
        "--project",
        draft_plan.project.code,
        "--mapping",
        json.dumps(mapping),
        "--crs",
        "9214",
        "--no-progress",
        stdout=out,
    )
    lines = out.getvalue().splitlines()
    assert f"  skipped: {EXTRA_POINTS}" in lines
    entries = [line for line in lines if line.startswith("    POINT #")]
    assert len(entries) == 20  # "POINT #1F2, layer QH_DIEM, at 561720.000, 1821455.000: ..."
    assert all(", layer QH_DIEM, at " in line for line in entries), entries[0]
    assert f"    ... {EXTRA_POINTS - 20} more ({LIST_CAP} of them in the --json report)" in lines
    # the title block frame mapped as a lot holds every label: its entry is cut short
    assert max(len(line) for line in lines) < 1000, max(lines, key=len)[:300]


def test_each_kind_of_report_entry_reads_as_a_line():
    from importers.management.commands.import_cad import _entry_line

    skipped = {"layer": "DIM", "type": "LEADER", "handle": "35", "reason": "why", "location": None}
    assert _entry_line("skipped", skipped) == "LEADER #35, layer DIM, no location: why"
    unclosed = {"location": (1.0, 2.5), "length": 12.5, "refs": ["a.dxf#1F", "a.dxf#20"]}
    assert _entry_line("unclosed", unclosed) == (
        "at 1.000, 2.500: 12.5 m of lines that close no lot (a.dxf#1F, a.dxf#20)"
    )
    long_one = {"location": None, "length": 134721.04, "refs": []}
    with translation.override("vi"):  # "134.721 m" read 134 thousand metres (QA walk)
        assert _entry_line("unclosed", long_one).endswith(
            ": 134.721,0 m đường nét không khép kín lô nào"
        )
    issue = {"location": (3, 4), "problem": "no lot code in the label", "texts": ["Đất ở\nmới"]}
    assert _entry_line("label_issues", issue) == (
        "at 3.000, 4.000: no lot code in the label «Đất ở / mới»"
    )
