"""Fixtures of the dossier tests: a submitted revision over the plan in force, with QA
findings (it overlaps the plan in force), a hostile comment and a private neighbour."""

from __future__ import annotations

import io
import re

import pytest
from django.test import Client
from pypdf import PdfReader

from planning.actions import SubmitRevision
from planning.comments import CreateComment
from planning.models import Revision
from tests.conftest import HUE_X, HUE_Y, make_plan, square

HOSTILE = "<script>alert('dossier')</script> Cần bổ sung chỉ giới & cốt nền"


@pytest.fixture
def submitted(planner, reviewer, plan_in_force) -> Revision:
    """Lots C1 (health, YT) and C2 (sports, TDTT) overlapping A1 and A2 by 40 m."""
    revision = make_plan(
        planner,
        reviewer,
        "dossier",
        [
            (square(HUE_X, HUE_Y + 60, 100), {"code": "C1", "function": "YT"}),
            (square(HUE_X + 100, HUE_Y + 60, 100), {"code": "C2", "function": "TDTT"}),
        ],
        approve=False,
    )
    SubmitRevision(user=planner, revision=revision).execute()
    comment = CreateComment(user=reviewer, revision=revision, body=HOSTILE).execute()
    CreateComment(
        user=planner, revision=revision, body="Đã sửa theo ý kiến.", parent_id=comment.pk
    ).execute()
    revision.refresh_from_db()
    return revision


@pytest.fixture
def private_neighbour(planner, reviewer) -> Revision:
    """Another project's submitted revision (industrial, CN) inside the map's extent: its
    reviewer may see it, but a dossier never draws another unpublished revision."""
    revision = make_plan(
        planner,
        reviewer,
        "neighbour",
        [(square(HUE_X + 200, HUE_Y + 60, 50), {"code": "N1", "function": "CN"})],
        approve=False,
    )
    SubmitRevision(user=planner, revision=revision).execute()
    return revision


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def dossier_url(revision: Revision) -> str:
    return f"/api/revisions/{revision.pk}/dossier.pdf"


def pdf_text(content: bytes) -> str:
    """All the text of a PDF, whitespace collapsed (table cells wrap lines)."""
    reader = PdfReader(io.BytesIO(content))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() or "" for page in reader.pages))


def squeeze(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip()
