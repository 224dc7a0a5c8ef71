"""planning.staleness.stale_revisions (the project page's warnings) walks every `based_on`
chain of the project in memory: one query for them all, not one per step of each chain."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from planning import staleness
from planning.models import Revision, RevisionState

pytestmark = pytest.mark.django_db
S = RevisionState


def _answers(start: Revision | None, project, author: User, count: int) -> list[Revision]:
    """`count` revisions, each answering the one before (changes requested), from `start`;
    the last one is a draft. Made as rows: only their chain matters here."""
    chain, based_on = [], start
    for index in range(count):
        number = project.revisions.order_by("-number").values_list("number", flat=True)[0] + 1
        state = S.DRAFT if index == count - 1 else S.CHANGES_REQUESTED
        based_on = Revision.objects.create(
            project=project, number=number, based_on=based_on, author=author, state=state
        )
        chain.append(based_on)
    return chain


def _stale_with_queries(project) -> tuple[dict[int, Revision], int]:
    with CaptureQueriesContext(connection) as queries:
        stale = staleness.stale_revisions(project)
    return stale, len(queries)


def test_the_project_page_list_takes_the_same_queries_however_long_the_chains(
    planner, plan_in_force
):
    """The list walks every `based_on` chain of the project: one query for them all, not
    one per step (the project page asks for it on every view)."""
    plan = plan_in_force
    project = plan.project
    building = _answers(plan, project, planner, 1)  # answers to the plan in force
    stale_chain = _answers(None, project, planner, 1)  # started empty: would undo the plan
    short, short_queries = _stale_with_queries(project)
    assert set(short) == {stale_chain[0].pk}
    building += _answers(building[-1], project, planner, 10)
    stale_chain += _answers(stale_chain[-1], project, planner, 10)
    long, long_queries = _stale_with_queries(project)
    assert set(long) == {r.pk for r in stale_chain}
    assert all(in_force.pk == plan.pk for in_force in long.values())
    assert long_queries == short_queries <= 2
