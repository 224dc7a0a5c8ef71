"""The review page's facts tell an answer to a sent-back revision ("Answers Revision N")
from a revision merely prepared on the plan in force (QA walk: a new draft on the plan in
force read "Answers Revision 1")."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from planning.actions import CreateRevision, RequestChanges, SubmitRevision
from planning.models import Revision

pytestmark = pytest.mark.django_db
FACTS_RE = re.compile(r'<dl class="facts facts-compact">(.*?)</dl>', re.S)
FACT_RE = re.compile(r"<dt>([^<]*)</dt><dd[^>]*>(.*?)</dd>", re.S)


def facts(user, revision: Revision) -> list[tuple[str, str]]:
    """The (term, text) pairs of the page's facts, tags taken out of the text."""
    client = Client()
    client.force_login(user)
    response = client.get(f"/revisions/{revision.pk}/review/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    block = FACTS_RE.search(response.content.decode())
    assert block is not None
    return [(term, re.sub(r"<[^>]+>", "", text)) for term, text in FACT_RE.findall(block[1])]


def test_only_an_answer_to_a_sent_back_revision_says_it_answers(planner, reviewer, plan_in_force):
    project = plan_in_force.project
    draft = CreateRevision(user=planner, project=project, based_on=plan_in_force).execute()
    assert facts(planner, draft)[0] == ("Prepared on", "Revision 1 Approved (in force)")
    assert ("Basis for", "Revision 2 Draft") in facts(planner, plan_in_force)
    assert "Answered by" not in dict(facts(planner, plan_in_force))

    SubmitRevision(user=planner, revision=draft).execute()
    RequestChanges(user=reviewer, revision=draft, note="Lot A1: too dense").execute()
    answer = CreateRevision(user=planner, project=project, based_on=draft).execute()
    assert facts(planner, answer)[0] == ("Answers", "Revision 2")
    assert ("Answered by", "Revision 3 Draft") in facts(planner, draft)
