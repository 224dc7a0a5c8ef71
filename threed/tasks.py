"""Background builds of 3D Tiles (Procrastinate, through planning.jobs).

A build is scheduled after an approval (plan_in_force_changed: the plans in force) and
after a 3D model import (that revision); tileset requests build small scopes themselves.
A scope with a build already queued or running is not queued again.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Q
from procrastinate.contrib.django import app

from planning.jobs import JobCancelled, running, start_job
from planning.models import Feature, Job, Revision
from planning.models.jobs import ACTIVE_STATES
from threed.tileset import (
    HISTORY,
    IN_FORCE,
    PUBLISHED_SUFFIX,
    REVIEW_SUFFIX,
    Scope,
    build_tileset,
    history_moment,
)

KIND = "tiles3d"
logger = logging.getLogger(__name__)


@app.task(name="threed.build_tileset")
def build_tileset_task(job_id: int, scope: str) -> None:
    """Build one scope's tileset (a Scope.name, see scope_named)."""
    try:
        with running(job_id) as job:
            job.progress(5, "3D Tiles")
            built = build_tileset(scope_named(scope))
            job.result = {"scope": scope, "key": built.key, "features": built.feature_count}
    except JobCancelled:
        return


def scope_named(name: str) -> Scope:
    """The scope of a Scope.name: in-force[-envelopes], in-force-at-<stamp>[-envelopes]
    or revision-<id>[-review|-published][-envelopes] (the revision's scope as it is now:
    a build queued for a draft approved meanwhile builds the published scope)."""
    envelopes = name.endswith("-envelopes")
    base = name.removesuffix("-envelopes").removesuffix(PUBLISHED_SUFFIX)
    base = base.removesuffix(REVIEW_SUFFIX)
    if base == IN_FORCE:
        return Scope.plans_in_force(envelopes)
    if HISTORY.match(base):
        return Scope.plans_in_force(envelopes, at=history_moment(base))
    revision_id = int(base.removeprefix("revision-"))
    return Scope.of_revision(Revision.objects.get(pk=revision_id), envelopes)


def schedule_build(scope: Scope, user=None) -> Job | None:
    """Queue a build of the scope unless one is queued or running already."""
    if Job.objects.filter(kind=KIND, state__in=ACTIVE_STATES, params__scope=scope.name).exists():
        return None
    revision = None
    if not scope.in_force and scope.revision_ids:
        revision = Revision.objects.filter(pk=scope.revision_ids[0]).first()
    with transaction.atomic():
        return start_job(KIND, build_tileset_task, user=user, revision=revision, scope=scope.name)


def on_plan_in_force_changed(sender, **kwargs) -> None:
    """Rebuild the plans in force (the signal is sent once the approval is committed).
    A failure to queue never undoes an approval: the next request builds instead."""
    try:
        scope = Scope.plans_in_force()
        if has_3d(scope):
            schedule_build(scope)
    except Exception:
        logger.exception("could not queue the 3D Tiles build of the plans in force")


def has_3d(scope: Scope) -> bool:
    """Whether the scope shows anything in 3D (plans without buildings need no build)."""
    return (
        Feature.objects.filter(layer__revision_id__in=scope.revision_ids)
        .filter(Q(geom_3d__isnull=False) | Q(layer__kind="buildings"))
        .exists()
    )
