"""Generated plans with lots and buildings for tests and benchmarks (also used by the 3D
viewer's browser tests): `make_3d_plan(planner, reviewer, ...)` then GET
/3dtiles/in-force/tileset.json (built on request) or call `build_in_force()`;
`replace_3d_plan` gives a plan a history (in force until a later revision replaced it)."""

from __future__ import annotations

from datetime import datetime

from django.contrib.gis.geos import MultiPolygon, Polygon
from django.db import transaction

from planning.actions import ApproveRevision, CreateProject, CreateRevision, SubmitRevision
from planning.models import Feature, Layer, Membership, Project, Revision, RevisionState
from threed.extrude import extrude_revision
from threed.tileset import Built, Scope, build_tileset

# Hue, EPSG:9214 (as tests/conftest.py).
HUE_X, HUE_Y = 561714.0, 1821449.0
LOT, INSET, STOREY = 40.0, 6.0, 3.6


def box(x: float, y: float, w: float, h: float) -> Polygon:
    return Polygon.from_bbox((x, y, x + w, y + h))


def lots_and_buildings(
    columns: int, rows: int, origin: tuple[float, float] = (HUE_X, HUE_Y)
) -> tuple[list[tuple[Polygon, dict]], list[tuple[Polygon, dict]]]:
    """A grid of 40 m lots (DO, max 5 storeys / 19.5 m, density 60 %), each with a building
    set back 6 m and 1 to 5 storeys."""
    lots, buildings = [], []
    for row in range(rows):
        for col in range(columns):
            x, y = origin[0] + col * LOT, origin[1] + row * LOT
            code = f"L{row:03d}-{col:03d}"
            lots.append(
                (
                    box(x, y, LOT, LOT),
                    {
                        "code": code,
                        "function": "DO",
                        "storeys_max": 5,
                        "height_max": 19.5,
                        "density": 60,
                    },
                )
            )
            storeys = 1 + (row * columns + col) % 5
            buildings.append(
                (
                    box(x + INSET, y + INSET, LOT - 2 * INSET, LOT - 2 * INSET),
                    {"code": f"B-{code}", "lot": code, "storeys": storeys, "use": "nhà ở"},
                )
            )
    return lots, buildings


def add_layer(revision: Revision, user, kind: str, name: str, features) -> Layer:
    layer = Layer.objects.create(
        revision=revision, kind=kind, name=name, created_by=user, feature_count=len(features)
    )
    Feature.objects.bulk_create(
        (
            Feature(layer=layer, geom=geom, attributes=attrs, category=attrs.get("function", ""))
            for geom, attrs in features
        ),
        batch_size=5000,
    )
    return layer


@transaction.atomic
def make_3d_plan(
    planner,
    reviewer,
    code: str = "threed",
    *,
    columns: int = 4,
    rows: int = 3,
    approve: bool = True,
    origin: tuple[float, float] = (HUE_X, HUE_Y),
) -> Revision:
    """A project with a landuse layer of lots and a buildings layer, buildings extruded.
    `reviewer` reviews and approves; `approve=False` leaves a private draft."""
    lots, buildings = lots_and_buildings(columns, rows, origin)
    x, y = origin
    project = CreateProject(
        user=planner,
        code=code,
        name=f"Quy hoạch 3D {code}",
        level=Project.Level.DETAILED,
        scale=500,
        boundary=MultiPolygon(box(x - 10, y - 10, columns * LOT + 20, rows * LOT + 20)),
    ).execute()
    for role in (Membership.Role.REVIEWER, Membership.Role.APPROVER):
        Membership.objects.create(project=project, user=reviewer, role=role)
    revision = CreateRevision(user=planner, project=project).execute()
    add_layer(revision, planner, "landuse", "Lots", lots)
    add_layer(revision, planner, "buildings", "Buildings", buildings)
    extrude_revision(revision)
    if approve:
        SubmitRevision(user=planner, revision=revision).execute()
        ApproveRevision(
            user=reviewer, revision=revision, decision_number="3/QĐ-UBND", supersede_overlaps=True
        ).execute()
    revision.refresh_from_db()
    return revision


def replace_3d_plan(
    plan: Revision, planner, reviewer, *, dropped: str, approved: datetime, replaced: datetime
) -> Revision:
    """The project's next revision, without the building coded `dropped`, approved: `plan`
    was in force from `approved` until `replaced`, the new revision from then on."""
    answer = CreateRevision(user=planner, project=plan.project, based_on=plan).execute()
    Feature.objects.filter(layer__revision=answer, attributes__code=dropped).delete()
    SubmitRevision(user=planner, revision=answer).execute()
    ApproveRevision(user=reviewer, revision=answer, decision_number="4/QĐ-UBND").execute()
    Revision.objects.filter(pk=plan.pk).update(approved_at=approved, superseded_at=replaced)
    Revision.objects.filter(pk=answer.pk).update(approved_at=replaced)
    plan.refresh_from_db()
    answer.refresh_from_db()
    assert plan.state == RevisionState.SUPERSEDED
    return answer


def build_in_force() -> Built:
    return build_tileset(Scope.plans_in_force())
