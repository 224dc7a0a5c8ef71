"""Two projects in force at different revisions, and a draft revision of one of them (shared
by the WFS, OGC API and vector-tile tests of the `project` and `revision` properties).

`inforce` (tests.conftest.plan_in_force): revision 1 in force (lots A1, A2), and revision 2,
a draft copy of it with one more lot D1: only its planners may see revision 2 or D1.
`second`: revision 1 superseded by revision 2, in force (lot P1), whose layer declares
uploaded attributes `project` and `Revision`, as a shapefile might: they clash with the
service properties, which win, so they are published as `project_1` and `Revision_1`.
"""

from __future__ import annotations

from planning.actions import ApproveRevision, CreateRevision, SubmitRevision
from planning.models import Feature, Layer, Revision
from tests.conftest import HUE_X, HUE_Y, make_plan, square

SECOND_SCHEMA = [
    {"name": "code", "type": "string"},
    {"name": "function", "type": "string"},
    {"name": "project", "type": "string"},
    {"name": "Revision", "type": "string"},
]
UPLOADED_PROJECT = "Dự án 'cũ'"  # the uploaded `project` attribute of P1
UPLOADED_REVISION = "v9"  # its uploaded `Revision`
# The project code and revision number every service publishes for each lot in force.
IN_FORCE = {"A1": ("inforce", 1), "A2": ("inforce", 1), "P1": ("second", 2)}
DRAFT_REVISION = 2  # of `inforce`: never published to anyone but its planners
DRAFT_LOT = "D1"
P1_XY = (HUE_X + 425, HUE_Y + 25)  # the centre of P1
D1_XY = (HUE_X + 25, HUE_Y + 175)  # the centre of D1


def revision_plans(plan_in_force: Revision, planner, reviewer) -> dict[str, Revision]:
    """`inforce` and `second` as described above; returns their revisions by role."""
    first = make_plan(
        planner,
        reviewer,
        "second",
        [
            (square(HUE_X + 400, HUE_Y, 50),
             {"code": "P1", "function": "CX", "project": UPLOADED_PROJECT,
              "Revision": UPLOADED_REVISION}),
        ],
        approve=True,
    )  # fmt: skip
    Layer.objects.filter(revision=first).update(attribute_schema=SECOND_SCHEMA)
    second = CreateRevision(user=planner, project=first.project, based_on=first).execute()
    SubmitRevision(user=planner, revision=second).execute()
    ApproveRevision(user=reviewer, revision=second, decision_number="2/QĐ-UBND").execute()
    draft = CreateRevision(
        user=planner, project=plan_in_force.project, based_on=plan_in_force
    ).execute()
    Feature.objects.create(
        layer=draft.layers.get(kind="landuse"),
        geom=square(D1_XY[0] - 25, D1_XY[1] - 25, 50),
        attributes={"code": DRAFT_LOT, "function": "GD"},
        category="GD",
    )
    for revision in (plan_in_force, second, draft):
        revision.refresh_from_db()
    assert (second.number, draft.number) == (2, DRAFT_REVISION)
    return {"inforce": plan_in_force, "second": second, "draft": draft}
