"""QGIS, the desktop GIS of the planning offices, loads the WMS and the WFS with its own
providers (Debian's python3-qgis, headless)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import HUE_X, HUE_Y

pytestmark = pytest.mark.django_db(transaction=True)
PROBE = Path(__file__).with_name("qgis_probe.py")


def run_qgis(base_url: str, tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"PROJ_DATA", "PROJ_LIB", "GDAL_DATA"}}
    tmp_path.chmod(0o700)  # QStandardPaths wants a private runtime directory
    env.update(QT_QPA_PLATFORM="offscreen", XDG_RUNTIME_DIR=str(tmp_path), HOME=str(tmp_path))
    result = subprocess.run(
        ["/usr/bin/python3", str(PROBE), base_url],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        # QGIS 3.22 may crash in its own teardown after printing its answer (SIGSEGV); the
        # answer is what is tested, and it is absent (JSON error) when QGIS fails earlier.
        check=False,
    )
    lines = result.stdout.strip().splitlines()
    assert lines, f"QGIS printed nothing (exit {result.returncode}): {result.stderr[-1000:]}"
    return json.loads(lines[-1])


def test_qgis_loads_the_wms_and_reads_every_wfs_feature(
    live_server, plan_in_force, draft_plan, tmp_path
):
    seen = run_qgis(live_server.url, tmp_path)
    assert seen["wms_valid"] is True
    assert seen["wfs_valid"] is True
    assert seen["wfs_crs"] == "EPSG:9214"
    lots = {f["code"]: f for f in seen["features"]}
    assert set(lots) == {"A1", "A2"}  # never the draft B1
    assert lots["A1"]["function"] == "DO"
    assert lots["A1"]["x"] == pytest.approx(HUE_X + 50, abs=0.01)
    assert lots["A1"]["y"] == pytest.approx(HUE_Y + 50, abs=0.01)
