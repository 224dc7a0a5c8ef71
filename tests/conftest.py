"""Shared fixtures: real PostGIS (the project's cluster), real users, real plans."""

from __future__ import annotations

import logging.config
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission, User
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.core.signals import request_finished, request_started
from django.db import connection, transaction
from django.utils import translation

from planning.actions import ApproveRevision, CreateProject, CreateRevision, SubmitRevision
from planning.log_files import logging_config
from planning.models import Feature, Layer, Membership, Project, Revision


@pytest.fixture(scope="session", autouse=True)
def _errors_logged_apart(tmp_path_factory):
    """The errors tests provoke on purpose go to an errors.log of the test session, not to
    the server's var/log/errors.log, where they would pass for real ones."""
    logging.config.dictConfig(logging_config(tmp_path_factory.mktemp("log")))
    yield
    logging.config.dictConfig(settings.LOGGING)


@pytest.fixture(autouse=True)
def _english_outside_requests():
    """Domain code called directly speaks English in tests; requests pick their own language."""
    with translation.override("en"):
        yield


class _RequestsInFlight:
    """Requests the live server is still answering (the browser may have moved on or closed
    while a request runs): counted through Django's request signals."""

    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    def started(self, **kwargs) -> None:
        with self.lock:
            self.count += 1

    def finished(self, **kwargs) -> None:
        with self.lock:
            self.count = max(0, self.count - 1)

    def wait_until_idle(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while self.count and time.monotonic() < deadline:
            time.sleep(0.05)
        self.count = 0  # a request that died without its signal must not hold later tests


_IN_FLIGHT = _RequestsInFlight()
request_started.connect(_IN_FLIGHT.started, dispatch_uid="tests.in_flight.started")
request_finished.connect(_IN_FLIGHT.finished, dispatch_uid="tests.in_flight.finished")


@pytest.fixture(autouse=True)
def _live_server_idle_before_flush(request):
    """A live-server test's database is emptied (TRUNCATE) at its end; a request still
    running then holds locks the TRUNCATE needs while waiting for ones it took: a deadlock
    that fails the test and the next one's set-up. So the flush waits for the server to be
    idle (this fixture depends on the database fixture, so it is torn down first)."""
    if "live_server" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("_django_db_helper")
    yield
    _IN_FLIGHT.wait_until_idle()


# A 200 m square in Hue, EPSG:9214 (VN-2000 / TM-3 107-00).
HUE_X, HUE_Y = 561714.0, 1821449.0


@pytest.fixture
def private_tile_cache(settings, tmp_path):
    """A tile cache root of the test's own (raster and vector) and a fresh MapProxy app."""
    from tiles import mount

    settings.PLANNING_TILE_CACHE_DIR = str(tmp_path / "tiles")
    mount.reset()
    yield tmp_path / "tiles"
    mount.reset()


def square(x: float, y: float, size: float) -> Polygon:
    return Polygon.from_bbox((x, y, x + size, y + size))


def run_twice_overlapping(step: Callable[[], object]) -> None:
    """Runs `step` in two threads (two database connections) whose transactions overlap:
    the first keeps its transaction open until the second has started its own run, as two
    simultaneous requests would. Needs `django_db(transaction=True)`. A step that does not
    serialise on a lock sees none of the first run's uncommitted rows."""
    first_done, second_started = threading.Event(), threading.Event()

    def first():
        try:
            with transaction.atomic():
                step()
                first_done.set()
                second_started.wait(5)
                time.sleep(0.5)  # the second run goes on meanwhile, unless it waits
        finally:
            connection.close()

    def second():
        try:
            first_done.wait(5)
            second_started.set()
            step()
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        runs = [pool.submit(first), pool.submit(second)]
        for run in runs:
            run.result(30)  # re-raises a run's error here


@pytest.fixture
def catalogue(db) -> int:
    """The land-use catalogue: transactional tests flush what the migration seeded."""
    from planning.catalogue import seed
    from planning.models import LandUseCategory

    count = LandUseCategory.objects.count()
    return count if count else seed(LandUseCategory)


@pytest.fixture
def planner(catalogue) -> User:
    user = User.objects.create_user("planner_t", password="pw-planner-test")
    group, _ = Group.objects.get_or_create(name="planners")
    group.permissions.add(Permission.objects.get(codename="add_project"))
    user.groups.add(group)
    return User.objects.get(pk=user.pk)  # fresh instance: permission cache


@pytest.fixture
def reviewer(db) -> User:
    return User.objects.create_user("reviewer_t", password="pw-reviewer-test")


@pytest.fixture
def outsider(db) -> User:
    return User.objects.create_user("outsider_t", password="pw-outsider-test")


@pytest.fixture
def admin_user_t(db) -> User:
    return User.objects.create_superuser("admin_t", password="pw-admin-test")


def make_plan(
    planner: User, reviewer: User, code: str, lots: list[tuple[Polygon, dict]], *, approve: bool
) -> Revision:
    """A project with one land-use layer; approved (in force) or left as a draft.

    `reviewer` is both reviewer and approver of the project (tests of role separation make
    their own memberships)."""
    project = CreateProject(
        user=planner,
        code=code,
        name=f"Quy hoạch {code}",
        level=Project.Level.DETAILED,
        scale=500,
        boundary=MultiPolygon(square(HUE_X - 1000, HUE_Y - 1000, 3000)),
    ).execute()
    Membership.objects.create(project=project, user=reviewer, role=Membership.Role.REVIEWER)
    Membership.objects.create(project=project, user=reviewer, role=Membership.Role.APPROVER)
    revision = CreateRevision(user=planner, project=project).execute()
    layer = Layer.objects.create(
        revision=revision,
        kind="landuse",
        name="Lots",
        created_by=planner,
        feature_count=len(lots),
    )
    Feature.objects.bulk_create(
        Feature(layer=layer, geom=geom, attributes=attrs, category=attrs.get("function", ""))
        for geom, attrs in lots
    )
    if approve:
        SubmitRevision(user=planner, revision=revision).execute()
        # Overlaps with other test plans in force are confirmed (they leave the plans in force).
        ApproveRevision(
            user=reviewer, revision=revision, decision_number="1/QĐ-UBND", supersede_overlaps=True
        ).execute()
    revision.refresh_from_db()
    return revision


# What imports record for the test plans' lots; make_plan declares nothing, and the OGC
# services publish only declared names (tiles.feature_types.properties_of).
LOT_SCHEMA = [
    {"name": "code", "type": "string"},
    {"name": "function", "type": "string"},
    {"name": "name", "type": "string"},
]


def declare_lot_schema(revision: Revision) -> Revision:
    """The revision's layers declare LOT_SCHEMA, as an import would."""
    Layer.objects.filter(revision=revision).update(attribute_schema=LOT_SCHEMA)
    return revision


@pytest.fixture
def plan_in_force(planner, reviewer) -> Revision:
    """Two lots in force: residential (DO) and green space (CX)."""
    return make_plan(
        planner,
        reviewer,
        "inforce",
        [
            (square(HUE_X, HUE_Y, 100), {"code": "A1", "function": "DO", "name": "Đất ở mới"}),
            (square(HUE_X + 100, HUE_Y, 100), {"code": "A2", "function": "CX"}),
        ],
        approve=True,
    )


@pytest.fixture
def draft_plan(planner, reviewer) -> Revision:
    """A private draft next to the plan in force: education (GD)."""
    return make_plan(
        planner,
        reviewer,
        "draft",
        [
            (square(HUE_X, HUE_Y + 300, 100), {"code": "B1", "function": "GD"}),
        ],
        approve=False,
    )


@pytest.fixture(scope="session", autouse=True)
def _close_other_connections(django_db_setup, django_db_blocker):
    """End what still holds the test database open so it can be dropped: Mapnik's pooled
    backends and the persistent connections (CONN_MAX_AGE) of live-server threads."""
    yield
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
