"""Review comments pinned to the map: create, reply, resolve; carried to answering revisions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from planning import visibility
from planning.audit import audit, require_user
from planning.errors import Conflict, Forbidden, InvalidInput, NotFound
from planning.extent import lonlat_box_meets_vietnam
from planning.models import PUBLISHED_STATES, Comment, Feature, Revision, RevisionState

MAX_BODY = 10_000
MAX_VERTICES = 5_000
MAX_CHAIN = 100  # answers of answers followed back, a bound against runaway chains
# Comments are part of the review: closed once the decision is taken.
COMMENTABLE = (RevisionState.SUBMITTED, RevisionState.IN_REVIEW, RevisionState.DRAFT)
AWAITING_DECISION = (RevisionState.SUBMITTED, RevisionState.IN_REVIEW)


def geometry_from_geojson(geojson: dict | None) -> GEOSGeometry | None:
    """A GeoJSON geometry in EPSG:4326 (RFC 7946) to the storage CRS, by PostGIS. Refused:
    a `crs` member (RFC 7946 has none; PostGIS would take or drop it silently), an empty
    geometry, and a place outside Viet Nam (swapped latitude and longitude, or a pin at 0,0),
    none of which can mark a place on a plan here."""
    if geojson is None:
        return None
    import json

    if isinstance(geojson, dict) and "crs" in geojson:
        raise InvalidInput(
            _("The comment's geometry must be GeoJSON in longitude and latitude, without crs.")
        )
    text = json.dumps(geojson)
    if len(text) > 1_000_000:
        raise InvalidInput(_("The comment's geometry is too large."))
    # Transformed only within lon/lat's range (PostGIS raises on a latitude of 107).
    sql = (
        "SELECT CASE WHEN ST_XMin(g) >= -180 AND ST_XMax(g) <= 180 AND ST_YMin(g) >= -90"
        " AND ST_YMax(g) <= 90 THEN ST_AsEWKB(ST_Transform(ST_SetSRID(g, 4326), %s)) END,"
        " ST_NPoints(g), ST_IsValid(g), ST_IsEmpty(g), ST_XMin(g), ST_YMin(g), ST_XMax(g),"
        " ST_YMax(g) FROM (SELECT ST_GeomFromGeoJSON(%s) AS g) q"
    )
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [settings.PLANNING_STORAGE_SRID, text])
            ewkb, points, valid, empty, *box = cursor.fetchone()
    except DatabaseError as exc:
        raise InvalidInput(_("The comment's geometry is not valid GeoJSON.")) from exc
    if empty:
        raise InvalidInput(_("The comment's geometry is empty."))
    if points > MAX_VERTICES or not valid:
        raise InvalidInput(_("The comment's geometry is too complex or invalid."))
    if ewkb is None or not lonlat_box_meets_vietnam(box):
        raise InvalidInput(
            _("The comment's place lies outside Viet Nam (GeoJSON gives longitude first).")
        )
    return GEOSGeometry(memoryview(ewkb))


def _may_comment(user, revision: Revision) -> bool:
    if user.is_staff:
        return True
    roles = (
        ("planner",)
        if revision.state == RevisionState.DRAFT
        else ("planner", "reviewer", "approver")
    )
    return any(visibility.has_role(user, revision.project, role) for role in roles)


@dataclass
class CreateComment:
    user: Any
    revision: Revision
    body: str
    geometry: dict | None = None
    feature_id: int | None = None
    parent_id: int | None = None
    remote_addr: str | None = None

    def check(self) -> None:
        require_user(self.user)
        if not _may_comment(self.user, self.revision):
            raise Forbidden(_("Only the project's planners, reviewers and approvers may comment."))
        if self.revision.state not in COMMENTABLE:
            raise Conflict(
                _("A revision that is %(state)s takes no more comments.")
                % {"state": self.revision.get_state_display()}
            )
        if not self.body.strip():
            raise InvalidInput(_("A comment needs a text."))
        if len(self.body) > MAX_BODY:
            raise InvalidInput(_("A comment is at most %(max)d characters.") % {"max": MAX_BODY})

    @transaction.atomic
    def execute(self) -> Comment:
        require_user(self.user)  # before any lock (the rest is judged on the locked row)
        _lock_awaiting_decision(self.revision.project_id)  # the thread may be carried on
        self.revision = Revision.objects.select_for_update(no_key=True).get(pk=self.revision.pk)
        self.check()
        parent = self._parent()
        feature = self._feature()
        geom = geometry_from_geojson(self.geometry)
        if geom is None and feature is not None:
            geom = feature.geom.point_on_surface
        comment = Comment.objects.create(
            revision=self.revision,
            author=self.user,
            body=self.body.strip(),
            geom=geom,
            feature=feature,
            parent=parent,
        )
        audit(
            self.user,
            "comment.create",
            project=self.revision.project,
            revision=self.revision,
            remote_addr=self.remote_addr,
            comment=comment.pk,
        )
        return comment

    def _parent(self) -> Comment | None:
        if self.parent_id is None:
            return None
        # Only a comment of the thread the caller reads here: a reply never hangs on a
        # comment of a revision outside this one's chain, or one hidden from the caller.
        parent = thread_of(self.revision, self.user).filter(pk=self.parent_id).first()
        if parent is None:
            raise NotFound(_("No such comment to reply to."))
        return parent.parent or parent  # threads are one level deep

    def _feature(self) -> Feature | None:
        if self.feature_id is None:
            return None
        feature = Feature.objects.filter(pk=self.feature_id, layer__revision=self.revision).first()
        if feature is None:
            raise NotFound(_("No such feature in this revision."))
        return feature


@dataclass
class SetCommentStatus:
    """Resolve or reopen a thread: its author, the project's reviewers and approvers."""

    user: Any
    comment: Comment
    status: str
    remote_addr: str | None = None

    def check(self) -> None:
        require_user(self.user)
        if self.status not in Comment.Status.values:
            raise InvalidInput(_("Unknown comment status."))
        project = self.comment.revision.project
        allowed = (
            self.user.is_staff
            or self.comment.author_id == self.user.pk
            or any(
                visibility.has_role(self.user, project, role) for role in ("reviewer", "approver")
            )
        )
        if not allowed:
            raise Forbidden(_("Only the comment's author, reviewers and approvers may do this."))

    @transaction.atomic
    def execute(self) -> Comment:
        self.check()  # before any lock: a refused caller holds none
        _lock_awaiting_decision(self.comment.revision.project_id)
        self.comment = Comment.objects.select_for_update().get(pk=self.comment.pk)
        self.check()
        resolved = self.status == Comment.Status.RESOLVED
        self.comment.status = self.status
        self.comment.resolved_at = timezone.now() if resolved else None
        self.comment.resolved_by = self.user if resolved else None
        self.comment.save(update_fields=["status", "resolved_at", "resolved_by"])
        audit(
            self.user,
            f"comment.{self.status}",
            project=self.comment.revision.project,
            revision=self.comment.revision,
            remote_addr=self.remote_addr,
            comment=self.comment.pk,
        )
        return self.comment


def _lock_awaiting_decision(project_id: int) -> None:
    """Lock the project's revisions awaiting a decision, as an approval locks the one it
    decides before it counts the open threads (this thread may be carried into any of them):
    a thread posted, resolved or reopened lands before that count or after the decision,
    never unseen in between. Revisions first, then the comment: the order every path takes.
    FOR NO KEY UPDATE still waits for a decision's FOR UPDATE, but not for (nor blocks)
    the key checks of rows that refer to these revisions, a new revision based on one of
    them among them, which would otherwise deadlock against it."""
    awaiting = Revision.objects.select_for_update(no_key=True).filter(
        project_id=project_id, state__in=AWAITING_DECISION
    )
    list(awaiting.order_by("pk").values_list("pk", flat=True))


def answered_revisions(revision: Revision, user) -> list[Revision]:
    """The revisions `revision` answers (its `based_on` chain), nearest first, as far as
    `user` may see them: the chain ends at the first one hidden from the user, so an
    approved answer never opens its change request (or a planner's draft) to others."""
    return _chain(revision, visibility.visible_revisions(user))


def thread_is_public(revision: Revision) -> bool:
    """Whether everyone who may see `revision` reads the same thread: it is published and
    so is every revision it answers (none of their comments is for members only)."""
    if revision.state not in PUBLISHED_STATES:
        return False
    everything = _chain(revision, Revision.objects.all())
    return len(everything) == len(answered_revisions(revision, None))


def _chain(revision: Revision, candidates) -> list[Revision]:
    chain: list[Revision] = []
    current = revision
    while current.based_on_id and len(chain) < MAX_CHAIN:
        answered = candidates.filter(pk=current.based_on_id).first()
        if answered is None:
            break
        chain.append(answered)
        current = answered
    return chain


def thread_of(revision: Revision, user, *, inherited: bool = True):
    """The revision's comments, plus the still-open comments of the revisions it answers
    (so the planner sees what to answer), of those `user` may see (answered_revisions).

    A reply is listed only with its thread: its root must sit on this revision or on one
    the caller sees in the chain. A planner's reply on an approved answer to a comment of
    the change request stays the project's, like the comment it answers. A listed reply
    brings its root along (even resolved), so nobody reads an answer without its question.
    """
    chain = [r.pk for r in answered_revisions(revision, user)] if inherited else []
    in_view = Q(revision_id=revision.pk) | Q(revision_id__in=chain, status=Comment.Status.OPEN)
    whole_thread = Q(parent__isnull=True) | Q(parent__revision_id__in=[revision.pk, *chain])
    listed = Comment.objects.filter(in_view & whole_thread)
    return (
        Comment.objects.filter(Q(pk__in=listed.values("pk")) | Q(pk__in=listed.values("parent")))
        .select_related("author", "revision")
        .order_by("created_at", "id")
    )


def open_comment_count(revision: Revision, user) -> int:
    """How many of the comment threads `user` reads on `revision` (its own, and those
    carried open from the revisions it answers: `thread_of`) are still open. Replies have a
    status of their own that nobody sets, so only the threads' first comments count."""
    threads = thread_of(revision, user).filter(parent__isnull=True, status=Comment.Status.OPEN)
    return threads.count()
