"""`manage.py import_cad --json` stays machine-readable when it fails (one JSON document on
stdout, the REST API's error body, and a non-zero exit), and the text report says where
the CRS and the text encoding came from in the reader's language (QA walk)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from django.utils.translation import gettext

from planning.models import Revision
from tests.conftest import HUE_X, HUE_Y

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT.parent / "shared" / "samples" / "dxf" / "gdal_hatch.dxf"  # three hatches, layer 0
# Its hatches lie near 0, 0: two control points move them to Huế, unturned and unscaled.
MOVED = ["--control-points", json.dumps([[0, 0, HUE_X, HUE_Y], [100, 0, HUE_X + 100, HUE_Y]])]
LAYER_0 = ["--mapping", json.dumps({"0": "landuse"})]


def run(*args: str) -> tuple[str, str, CommandError | None]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_cad", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return out.getvalue(), err.getvalue(), exc
    return out.getvalue(), err.getvalue(), None


@pytest.fixture
def bad_dxf(tmp_path) -> Path:
    bad = tmp_path / "bad.dxf"
    bad.write_bytes(os.urandom(4096))
    return bad


def test_a_failed_json_import_prints_the_api_error_body_alone(planner, draft_plan, bad_dxf):
    before = Revision.objects.count()
    out, progress, error = run(
        str(bad_dxf), "--project", draft_plan.project.code, *LAYER_0, "--json"
    )
    assert error is not None  # manage.py exits 1
    cause = error.__cause__
    assert json.loads(out) == {"detail": cause.message, "code": cause.code}
    assert "not a DXF drawing" in json.loads(out)["detail"]
    assert out.count("\n") == 1  # one line: the document
    assert "Reading the drawing" in progress  # on stderr, as the fast reader's log line
    assert Revision.objects.count() == before


def test_a_failure_before_the_import_is_json_too(planner, draft_plan, bad_dxf):
    out, _progress, error = run(str(bad_dxf), "--project", "no-such-project", "--json")
    assert error is not None
    assert json.loads(out) == {
        "detail": "No project with code 'no-such-project'.",
        "code": "NotFound",
    }
    out, _progress, error = run(str(bad_dxf.with_name("gone.dxf")), "--project", "x", "--json")
    assert error is not None
    assert json.loads(out)["code"] == "NotFound"


@pytest.mark.django_db(transaction=True)
def test_manage_py_json_failure_keeps_stdout_to_the_document(planner, draft_plan, bad_dxf):
    """The real command line: the fast DXF reader's log line and the progress go to
    stderr, stdout holds the JSON error only, and the exit status is not 0."""
    database = settings.DATABASES["default"]
    url = (
        f"postgres://{database['USER']}:{database['PASSWORD']}@/{database['NAME']}"
        f"?host={database['HOST']}&port={database['PORT']}"
    )
    command = [sys.executable, "manage.py", "import_cad", str(bad_dxf), "--json"]
    done = subprocess.run(
        [*command, "--project", draft_plan.project.code],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert json.loads(done.stdout)["code"] == "InvalidParameterValue"
    assert "fast DXF reader gave up on bad.dxf" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_text_report_says_where_the_crs_and_encoding_came_from(planner, draft_plan):
    with translation.override("vi"):
        out, _progress, error = run(
            str(SAMPLE),
            "--project",
            draft_plan.project.code,
            *LAYER_0,
            *MOVED,
            "--crs",
            "9214",
            "--no-progress",
        )
        expected = gettext("CRS %(crs)s (%(source)s), text %(encoding)s") % {
            "crs": "EPSG:9214",
            "source": gettext("as chosen"),
            "encoding": gettext("as declared"),
        }
    assert error is None
    assert expected in out.splitlines()
    assert "(theo lựa chọn)" in expected  # the CAD page's words, already in Vietnamese
    assert "(user)" not in out


def test_a_drawing_in_local_coordinates_is_told_the_option_that_places_it(
    planner, draft_plan, tmp_path
):
    """The refusal named "the control points" in the page's words; a CLI user was not told
    which option gives them (QA walk)."""
    from tests.cad.big_drawings import local_lots

    drawing = local_lots(tmp_path / "local.dxf", 0.0)
    mapping = json.dumps({"LOTS": "landuse"})
    _, _, error = run(str(drawing), "--project", draft_plan.project.code, "--mapping", mapping,
                      "--crs", "9214", "--no-progress")  # fmt: skip
    assert error is not None
    assert "--control-points" in str(error)
