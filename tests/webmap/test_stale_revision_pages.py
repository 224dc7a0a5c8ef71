"""The review and project pages of a revision that no longer builds on the plan in force
(planning/staleness.py): the warning names both revisions, the transitions the server would
refuse are shown disabled with the reason, sending back and rejecting stay offered; the
project page says what each revision was prepared on and that parallel drafts are
alternatives."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from planning.actions import ApproveRevision, CreateRevision, RejectRevision, SubmitRevision
from planning.models import Revision
from tests.conftest import HUE_X, HUE_Y, make_plan, square

pytestmark = pytest.mark.django_db
OFFERED = re.compile(r'data-open-form="([a-z-]+)"')
BLOCKED = re.compile(r'data-blocked="([a-z-]+)"[^>]* disabled aria-describedby="stale-warning"')


def html(user, url: str) -> str:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def siblings(planner, reviewer) -> dict[str, Revision]:
    """Revision 1 in force; revisions 2 and 3 both prepared on it and submitted; revision 2
    approved. Revision 4, a draft prepared on revision 2, is up to date."""
    plan = make_plan(
        planner,
        reviewer,
        "siblings",
        [(square(HUE_X, HUE_Y, 100), {"code": "L1", "function": "DO"})],
        approve=True,
    )
    first, second = (
        CreateRevision(user=planner, project=plan.project, based_on=plan).execute()
        for _ in range(2)
    )
    for revision in (first, second):
        SubmitRevision(user=planner, revision=revision).execute()
    ApproveRevision(user=reviewer, revision=first, decision_number="2/QĐ").execute()
    current = CreateRevision(user=planner, project=plan.project, based_on=first).execute()
    return {"plan": plan, "approved": first, "stale": second, "current": current}


def test_the_review_page_warns_and_disables_the_approval(planner, reviewer, siblings):
    stale, approved = siblings["stale"], siblings["approved"]
    page = html(reviewer, f"/revisions/{stale.pk}/review/")
    assert 'id="stale-warning"' in page
    assert (
        f"Revision {stale.number} was prepared on revision {siblings['plan'].number}, but "
        f"revision {approved.number} is now the plan in force; approving it would undo "
        f"revision {approved.number}."
    ) in page
    assert f'href="/revisions/{approved.pk}/review/"' in page  # the plan in force, linked
    assert BLOCKED.findall(page) == ["start-review", "approve"]
    assert OFFERED.findall(page) == ["request-changes", "reject"]  # still the board's to do
    assert 'data-action="approve"' not in page  # no approval form to fill in
    assert 'name="decision_number"' not in page
    RejectRevision(user=reviewer, revision=stale, note="Đã lỗi thời").execute()
    page = html(reviewer, f"/revisions/{stale.pk}/review/")
    assert (OFFERED.findall(page), BLOCKED.findall(page)) == ([], ["reopen"])
    # A draft prepared on the plan in force (revision 4 on revision 2) goes on as before.
    page = html(planner, f"/revisions/{siblings['current'].pk}/review/")
    assert 'id="stale-warning"' not in page
    assert (OFFERED.findall(page), BLOCKED.findall(page)) == (["submit"], [])


def test_the_project_page_shows_the_base_and_the_stale_revision(planner, siblings):
    stale, approved, current = siblings["stale"], siblings["approved"], siblings["current"]
    page = html(planner, f"/projects/{stale.project_id}/")
    assert f'data-stale="{stale.pk}"' in page
    assert f'data-stale="{current.pk}"' not in page
    assert f"revision {approved.number} is now the plan in force" in page
    assert f'data-prepared-on="{approved.number}"' in page  # revision 4, prepared on revision 2
    assert f"prepared on revision {siblings['plan'].number}" in page
    # The new-revision box names the revisions already under way: a new draft is another
    # alternative, and only one of them can be put in force.
    under_way = re.search(r"<p class=\"alert alert-warning\" data-under-way>(.*?)</p>", page, re.S)
    assert under_way is not None
    assert "alternative" in under_way.group(1)
    assert f"Revision {stale.number} · Submitted" in under_way.group(1)
    assert f"Revision {current.number} · Draft" in under_way.group(1)
