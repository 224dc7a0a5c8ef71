"""The upload page's refusal of a file that lands outside Viet Nam (QA walk): it told the
planner to "check … the control points", which that page does not have. It now names what
can be checked there (the file's CRS) and links to the CAD page's two-point fix when that
page reads the file; the API and the CAD page keep the message with the control points."""

from __future__ import annotations

import pytest
import shapely
from django.urls import reverse

from planning.models import Layer
from tests.files import write_vector
from tests.webmap.test_upload_page import SAMPLES, page_client, post_upload, text_of

pytestmark = pytest.mark.django_db


def test_a_drawing_far_away_is_sent_to_the_two_point_fix(planner, draft_plan):
    response = post_upload(page_client(planner), draft_plan, SAMPLES / "dxf" / "gdal_hatch.dxf")
    assert response.status_code == 400
    page = text_of(response)
    assert "lie outside Viet Nam" in page
    assert "check the file's coordinate system" in page
    assert "control points" not in page
    fix = reverse("webmap:revision-cad", args=[draft_plan.pk]) + "#control-points"
    assert f'href="{fix}"' in page
    assert "Place it with two known points on the CAD import page" in page
    assert not Layer.objects.filter(revision=draft_plan).exclude(name="Lots").exists()


def test_in_vietnamese_too(planner, draft_plan):
    client = page_client(planner, "vi")
    page = text_of(post_upload(client, draft_plan, SAMPLES / "dxf" / "gdal_hatch.dxf"))
    assert "hãy kiểm tra hệ tọa độ của tệp" in page
    assert "điểm khống chế" not in page
    assert "Đặt lại vị trí bằng hai điểm đã biết trên trang nhập bản vẽ CAD" in page


def test_a_file_the_cad_page_cannot_read_gets_no_link(planner, draft_plan, tmp_path):
    local = [shapely.box(10 * i, 0, 10 * i + 8, 8) for i in range(3)]  # local metres near 0, 0
    path = write_vector(tmp_path / "lots.geojson", local, {"code": ["L1", "L2", "L3"]},
                        driver="GeoJSON")  # fmt: skip
    response = post_upload(page_client(planner), draft_plan, path)
    assert response.status_code == 400
    page = text_of(response)
    assert "3 of 3 features lie outside Viet Nam" in page
    assert "control points" not in page
    assert 'id="two-point-fix"' not in page
