"""Named mapping presets: the API, and the import job and manage.py import_cad using them."""

from __future__ import annotations

import io
import json
import shutil
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from planning import jobs
from planning.models import Layer, MappingPreset, Revision
from tests.cad.drawings import MAPPING, plan_drawing

pytestmark = pytest.mark.django_db
PRESET = {
    "name": "Viện QH Huế – QHCT 1-500",
    "mapping": MAPPING,
    "encoding": "tcvn3",
    "crs": "province:thua-thien-hue",
    "description": "Layer names of the institute's detailed plans",
}


def client_for(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def test_preset_crud_through_the_api(planner, outsider):
    client = client_for(planner)
    created = client.post("/api/cad/presets/", PRESET, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["mapping"] == MAPPING
    assert created.json()["created_by"] == planner.username
    url = f"/api/cad/presets/{quote(PRESET['name'])}/"
    assert client.get(url).json()["crs"] == "province:thua-thien-hue"
    assert [p["name"] for p in client.get("/api/cad/presets/").json()] == [PRESET["name"]]
    changed = client.put(url, {**PRESET, "encoding": "vni"}, format="json")
    assert changed.status_code == 200
    assert changed.json()["encoding"] == "vni"
    # another user reads it (presets are shared across projects) but may not change it
    assert client_for(outsider).get(url).status_code == 200
    assert client_for(outsider).delete(url).status_code == 403
    assert client.post("/api/cad/presets/", PRESET, format="json").status_code == 409
    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404
    assert APIClient().get("/api/cad/presets/").status_code in (401, 403)


def test_a_preset_without_author_is_changed_by_admins_only(planner, outsider, admin_user_t):
    """The author's account is gone (created_by SET_NULL): not anybody's to rewrite."""
    MappingPreset.objects.create(created_by=None, **PRESET)
    url = f"/api/cad/presets/{quote(PRESET['name'])}/"
    assert (
        client_for(outsider).put(url, {**PRESET, "encoding": "vni"}, format="json").status_code
        == 403
    )
    assert client_for(planner).delete(url).status_code == 403
    assert MappingPreset.objects.get().encoding == "tcvn3"
    assert client_for(admin_user_t).delete(url).status_code == 204


@pytest.mark.parametrize(
    "change",
    [
        {"mapping": {"QH_HATCH": "castle"}},
        {"mapping": "not json"},
        {"mapping": {"QH_HATCH": "ignore"}},
        {"encoding": "ebcdic"},
        {"crs": "province:atlantis"},
        {"crs": "EPSG:6956"},
        {"name": ""},
        {"name": "a/b"},
    ],
)
def test_bad_presets_are_refused(planner, change):
    response = client_for(planner).post("/api/cad/presets/", {**PRESET, **change}, format="json")
    assert response.status_code == 400, response.content
    assert not MappingPreset.objects.exists()


def test_job_and_command_use_a_preset(planner, draft_plan, tmp_path):
    MappingPreset.objects.create(created_by=planner, **PRESET)
    path = plan_drawing(tmp_path / "plan.dxf")
    with path.open("rb") as handle:
        job = client_for(planner).post(
            f"/api/revisions/{draft_plan.pk}/cad/jobs/",
            {"file": handle, "preset": PRESET["name"]},
            format="multipart",
        )
    assert job.status_code == 202, job.content
    assert job.json()["state"] == "queued"
    shutil.rmtree(jobs.job_dir(job.json()["id"]))  # this test's transaction never commits
    before = Revision.objects.count()
    for flag in ("--preset", "--mapping"):  # --mapping NAME resolves the preset too
        out, err = io.StringIO(), io.StringIO()
        call_command(
            "import_cad",
            str(path),
            "--project",
            draft_plan.project.code,
            flag,
            PRESET["name"],
            "--json",
            stdout=out,
            stderr=err,
        )
        report = json.loads(out.getvalue())
        assert report["source_crs"] == "EPSG:9214"  # the preset's province
        assert report["features"] == {"landuse": 6}
        lines = err.getvalue().splitlines()
        assert lines[0].endswith("Reading the drawing")
        assert lines[-1] == "100% Done."
        assert any("Building the layer “Land-use lots and zones”" in line for line in lines)
    assert Revision.objects.count() == before + 2
    with pytest.raises(CommandError, match="No mapping preset named"):
        call_command(
            "import_cad",
            str(path),
            "--project",
            draft_plan.project.code,
            "--mapping",
            "Nobody's preset",
        )
    assert Layer.objects.filter(source_name="plan.dxf").count() == 2


def test_explicit_options_override_the_preset(planner, draft_plan, tmp_path):
    MappingPreset.objects.create(created_by=planner, **{**PRESET, "crs": "EPSG:5897"})
    out = io.StringIO()
    call_command(
        "import_cad",
        str(plan_drawing(tmp_path / "plan.dxf")),
        "--project",
        draft_plan.project.code,
        "--preset",
        PRESET["name"],
        "--crs",
        "EPSG:9214",
        "--json",
        "--no-progress",
        stdout=out,
        stderr=io.StringIO(),
    )
    assert json.loads(out.getvalue())["source_crs"] == "EPSG:9214"


def test_progress_bar_redraws_one_line_on_a_terminal():
    """On a real terminal (a pty) the bar is redrawn in place with carriage returns."""
    import os
    import select

    from django.core.management.base import OutputWrapper

    from importers.management.commands.import_cad import ProgressBar

    master, slave = os.openpty()
    with os.fdopen(slave, "w") as terminal:
        bar = ProgressBar(OutputWrapper(terminal))
        bar.update(40, "Building the landuse layer")
        bar.done()
    chunks = []
    while select.select([master], [], [], 0.5)[0]:
        try:
            chunks.append(os.read(master, 4096))
        except OSError:  # EIO: the terminal side is closed and everything was read
            break
    os.close(master)
    shown = b"".join(chunks).decode()
    assert shown.startswith("\r[############------------------]  40% Building the landuse layer")
    assert "\r[##############################] 100% Done." in shown
    assert shown.count("\n") == 1
