"""The review page's configuration, computed server-side like the map page's (mapconfig).

What a user may do on the page is decided here by the workflow's own permission check
(`RevisionTransition.check`: roles, the four-eyes rule, state), so the page offers exactly the
buttons the API would accept; the API still checks again on every request.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from planning import compare, members, staleness, supersession, visibility, workflow
from planning.actions import CreateRevision
from planning.balance import UNCATEGORISED_COLOUR
from planning.comments import CreateComment, open_comment_count
from planning.errors import PlanningError
from planning.feature_edits import PERCENTAGES, editable_specs
from planning.layer_kinds import KINDS
from planning.models import Feature, LandUseCategory, Membership, Revision, RevisionState
from planning.numbers import localized
from webmap import featurelabels, mapconfig


@dataclass(frozen=True)
class WorkflowButton:
    """One transition as the page offers it: API path, label, whether a note is required."""

    action: str  # the path segment under /api/revisions/{id}/
    transition: type[workflow.RevisionTransition]
    label: Any
    style: str = "secondary"  # primary | secondary | danger

    @property
    def needs_note(self) -> bool:
        return bool(getattr(self.transition, "requires_note", False))


BUTTONS = (
    WorkflowButton("submit", workflow.SubmitRevision, gettext_lazy("Submit for review"), "primary"),
    WorkflowButton(
        "start-review", workflow.StartReview, gettext_lazy("Start the review"), "primary"
    ),
    WorkflowButton("approve", workflow.ApproveRevision, gettext_lazy("Approve"), "primary"),
    WorkflowButton("request-changes", workflow.RequestChanges, gettext_lazy("Request changes")),
    WorkflowButton("reject", workflow.RejectRevision, gettext_lazy("Reject"), "danger"),
    WorkflowButton("reopen", workflow.ReopenRevision, gettext_lazy("Reopen the review")),
    WorkflowButton("withdraw", workflow.WithdrawRevision, gettext_lazy("Withdraw"), "danger"),
)


def roles_of(user, revision: Revision) -> set[str]:
    """The user's roles in the revision's project (staff act in every role)."""
    if user.is_staff:
        return set(Membership.Role.values)
    return set(
        Membership.objects.filter(user=user, project_id=revision.project_id).values_list(
            "role", flat=True
        )
    )


def _passes(check) -> bool:
    try:
        check()
    except PlanningError:
        return False
    return True


def _permitted(user, revision: Revision, transition: type[workflow.RevisionTransition]) -> bool:
    """The rule every transition enforces (`RevisionTransition.check`: roles, four eyes,
    state), asked of the workflow itself. The subclasses' further checks, of what the form
    asks for (a note, a decision number) or of the content (layers, a newer revision), are
    left to the API to report after the click."""
    action = transition(user=user, revision=revision)
    return _passes(lambda: workflow.RevisionTransition.check(action))


def allowed_buttons(user, revision: Revision) -> list[WorkflowButton]:
    """The transitions the user may perform on the revision in its current state."""
    return [b for b in BUTTONS if _permitted(user, revision, b.transition)]


def held_back_as_author(user, revision: Revision) -> bool:
    """Whether the four-eyes rule alone withholds a transition: the user wrote the revision
    and would be allowed the transition if someone else had (same rule, asked twice)."""
    if revision.author_id != user.pk:
        return False
    as_if_someone_elses = copy.copy(revision)
    as_if_someone_elses.author_id = None  # type: ignore[assignment]  # a stand-in, never saved
    return any(
        _permitted(user, as_if_someone_elses, b.transition)
        and not _permitted(user, revision, b.transition)
        for b in BUTTONS
    )


def can_comment(user, revision: Revision) -> bool:
    """Asks the comment action itself (role and state), with a stand-in text."""
    return _passes(CreateComment(user=user, revision=revision, body="-").check)


def can_answer(user, revision: Revision) -> bool:
    """A planner answers a change request with a new draft, once, while the revision still
    builds on the plan in force (an answer to a stale one could never be approved)."""
    if revision.state != RevisionState.CHANGES_REQUESTED or revision.answers.exists():
        return False
    if staleness.overriding_plan(revision) is not None:
        return False
    action = CreateRevision(user=user, project=revision.project, based_on=revision)
    return _passes(action.check)


def revision_summary(revision: Revision | None) -> dict[str, Any] | None:
    if revision is None:
        return None
    return {
        "id": revision.pk,
        "number": revision.number,
        "state": revision.state,
        "stateLabel": str(revision.get_state_display()),
        "title": _("Revision %(number)d") % {"number": revision.number},
    }


def urls(revision: Revision) -> dict[str, str]:
    base = f"/api/revisions/{revision.pk}/"
    return {
        **mapconfig.URLS,
        "revision": base,
        "revisions": "/api/revisions/",
        "transition": base + "{action}/",
        "qa": base + "qa/",
        "balance": base + "balance/",
        "balanceCsv": base + "balance/?download=csv",
        "balanceXlsx": base + "balance/?download=xlsx",
        "changes": base + "changes/",
        "comments": base + "comments/",
        "comment": "/api/comments/{id}/",
        "feature": "/api/features/{id}/",
        "dossier": base + "dossier.pdf",
        "reviewPage": "/revisions/{id}/review/",
    }


def build(user, revision: Revision, buttons: list[WorkflowButton] | None = None) -> dict[str, Any]:
    """The whole configuration of the review page of `revision` for `user`; `buttons` are
    `allowed_buttons(user, revision)` when the caller has them already."""
    roles = roles_of(user, revision)
    baselines = compare.baselines_of(revision, user)
    if buttons is None:
        buttons = allowed_buttons(user, revision)
    may_approve = "approve" in [b.action for b in buttons]
    return {
        "urls": urls(revision),
        "revision": revision_summary(revision),
        "project": {"id": revision.project_id, "code": revision.project.code},
        # What the swipe and the change layer compare with first, and every choice the
        # toolbar offers (compare.baselines_of: the plan in force, the revision it answers).
        "baseline": revision_summary(baselines[0] if baselines else None),
        "baselines": [baseline_choice(b, revision) for b in baselines],
        "extent": mapconfig.revisions_extent([revision.pk]) or mapconfig.in_force_extent(),
        "fallbackCenter": list(mapconfig.FALLBACK_CENTER),
        "fallbackZoom": mapconfig.FALLBACK_ZOOM,
        "user": user.get_username(),
        "canComment": can_comment(user, revision),
        "canModerate": bool(roles & {Membership.Role.REVIEWER, Membership.Role.APPROVER}),
        "canRerunQa": bool(roles),
        "canEditAttributes": visibility.can_edit(user, revision),
        "editableAttributes": editable_attributes(),
        # The workflow actions (path segments under urls.transition) this user may perform.
        "transitions": [b.action for b in buttons],
        "authorHeldBack": held_back_as_author(user, revision),
        "legend": legend_entries(revision),
        "layerKinds": layer_kinds(revision),
        # Asked only of who may approve: the approval form offers the supersession then.
        "supersession": supersession_counts(revision) if may_approve else NO_SUPERSESSION,
        # A planner submitting to a project nobody may approve is told so (staff aside).
        "noApprover": "submit" in [b.action for b in buttons]
        and not members.has_approver(revision.project_id),
        # The open threads the approval must acknowledge (ApproveRevision counts the same).
        "openComments": open_comment_count(revision, user) if may_approve else 0,
        "labels": labels(),
    }


def editable_attributes() -> dict[str, list[dict[str, Any]]]:
    """Layer kind → the attributes a planner edits on its features (planning.feature_edits)."""
    return {
        kind: [
            {
                "name": spec.name,
                "type": spec.type,
                "required": spec in KINDS[kind].required,
                "percent": spec.name in PERCENTAGES,
            }
            for spec in editable_specs(kind)
        ]
        for kind in KINDS
        if editable_specs(kind)
    }


def baseline_choice(baseline: Revision, revision: Revision) -> dict[str, Any]:
    """One revision the page may compare `revision` with, named by what it is to it."""
    summary = revision_summary(baseline) or {}
    answered = baseline.pk == revision.based_on_id
    if answered and baseline.state == RevisionState.CHANGES_REQUESTED:
        choice = _("the revision it answers (%(title)s · %(state)s)")
    elif answered and baseline.state != RevisionState.APPROVED:  # a plan since replaced
        choice = _("the plan it was prepared on (%(title)s · %(state)s)")
    elif baseline.state == RevisionState.SUPERSEDED:  # the plan a published one replaced
        choice = _("the plan it replaced (%(title)s)")
    else:
        choice = _("the plan in force (%(title)s)")
    values = {"title": summary["title"], "state": summary["stateLabel"]}
    return {**summary, "choice": choice % values}


# What layers.js draws a category missing from the catalogue in, and a lot without one.
UNKNOWN_COLOUR = UNCATEGORISED_COLOUR


def legend_entries(revision: Revision) -> list[dict[str, str]]:
    """The categories the revision's features use, with the catalogue's colour and name in
    the request's language (the colours the review map draws them in), catalogue order, then
    "Uncategorised" when some lots have none."""
    codes = set(
        Feature.objects.filter(layer__revision=revision)
        .exclude(category="")
        .values_list("category", flat=True)
        .distinct()
    )
    known = list(LandUseCategory.objects.filter(code__in=codes))
    entries = [{"code": c.code, "label": f"{c.code} – {c.name}", "colour": c.colour} for c in known]
    unknown = sorted(codes - {c.code for c in known})
    entries += [{"code": code, "label": code, "colour": UNKNOWN_COLOUR} for code in unknown]
    # Lots without a category are lots too (drawn grey, the balance's "Uncategorised" row):
    # without this entry the legend said the revision had no lots at all.
    if Feature.objects.filter(
        layer__revision=revision, layer__kind="landuse", category=""
    ).exists():
        entries.append({"code": "", "label": _("Uncategorised"), "colour": UNKNOWN_COLOUR})
    return entries


def layer_kinds(revision: Revision) -> list[dict[str, str]]:
    """The layer kinds the revision has, in drawing order, for the map's layer switcher."""
    kinds = {layer.kind: str(layer.get_kind_display()) for layer in revision.layers.all()}
    order = {code: kind.draw_order for code, kind in KINDS.items()}
    return [
        {"kind": kind, "label": label}
        for kind, label in sorted(kinds.items(), key=lambda item: order.get(item[0], 99))
    ]


NO_SUPERSESSION = {"lots": 0, "placed": 0, "text": "", "items": [], "more": ""}
SUPERSEDED_LISTED = 20  # lots named in the approval form; the rest are counted


def supersession_counts(revision: Revision) -> dict[str, Any]:
    """What the approval takes out of the plans in force once confirmed (it refuses them
    unconfirmed): the lots of other projects' plans the revision overlaps, each whole even
    where only a part is overlapped, and what those plans placed on them (buildings, lines,
    notes), so the board knows all of it before it ticks (QA walk: a 634 m² overlap took a
    lot of 16,928 m² out of force unsaid)."""
    overlaps = supersession.overlapping_lots(revision)
    placed = supersession.dependents(overlaps)
    unlisted = len(overlaps) - SUPERSEDED_LISTED
    return {
        "lots": len(overlaps),
        "placed": len(placed),
        "text": supersession_text(len(overlaps), supersession.placed_text(placed)),
        "items": [overlap_text(o.as_dict()) for o in overlaps[:SUPERSEDED_LISTED]],
        "more": more_template(unlisted) % {"count": unlisted} if unlisted > 0 else "",
    }


def overlap_text(overlap: dict) -> str:
    """One superseded lot, as review/workflow.js writes it from an approval's 409 too."""
    values = {
        "project": overlap["project"],
        "lot": overlap["lot"],
        "lot_area": localized(overlap["lot_area"], 0),
        "area": localized(overlap["area"], 0),
    }
    if overlap["area"] >= WHOLE_LOT * overlap["lot_area"]:
        return lot_template() % values
    return part_template() % values


WHOLE_LOT = 0.99  # overlapped up to rounding: no need to say the rest goes too


def lot_template() -> str:
    return _("%(project)s, lot %(lot)s: %(lot_area)s m²")


def part_template() -> str:
    return _(
        "%(project)s, lot %(lot)s: %(lot_area)s m², of which %(area)s m² overlapped; "
        "the whole lot leaves force"
    )


def more_template(count: int) -> str:
    return ngettext("and %(count)d more lot", "and %(count)d more lots", count)


def supersession_text(lots: int, placed: str) -> str:
    """The counts in words (review/workflow.js builds the same from the approval's 409)."""
    if not lots:
        return ""
    text = ngettext("%(count)d lot overlaps.", "%(count)d lots overlap.", lots) % {"count": lots}
    return f"{text} {placed}" if placed else text


def labels() -> dict[str, Any]:
    """Every string the review front end builds itself, in the request's language."""
    return {
        "loading": _("Loading…"),
        "error": _("Error"),
        "warning": _("Warning"),
        "noFindings": _("No findings: every automatic check passed."),
        "errorCount": plural_forms(lambda n: ngettext("%(count)d error", "%(count)d errors", n)),
        "warningCount": plural_forms(
            lambda n: ngettext("%(count)d warning", "%(count)d warnings", n)
        ),
        # The checks' state (planning.qa.status_of); "…Run" when the user may run them.
        "qaNotChecked": _("Not checked yet."),
        "qaNotCheckedRun": _("Not checked yet: run the checks."),
        "qaOutdated": _("Checked before the last change; these findings may be out of date."),
        "qaOutdatedRun": _("Checked before the last change: run the checks again."),
        "runChecks": _("Run the checks"),
        "runAgain": _("Run again"),
        "noBalance": _("No land-use lots in this revision."),
        "withoutArea": plural_forms(
            lambda n: ngettext(
                "%(count)d feature of the land-use layers is not a polygon: it has no area "
                "in this table.",
                "%(count)d features of the land-use layers are not polygons: they have no "
                "area in this table.",
                n,
            )
        ),
        "total": _("Total"),
        "boundaryArea": _("Plan boundary area"),
        "difference": _("Difference from the boundary"),
        "code": _("Code"),
        "category": _("Category"),
        "area": _("Area (m²)"),
        "share": _("Share"),
        "lots": _("Lots"),
        "noComments": _("No comments yet."),
        "openComments": plural_forms(open_comments_phrase),
        "acknowledgeOpenComments": plural_forms(acknowledge_phrase),
        "supersededLots": plural_forms(
            lambda n: ngettext("%(count)d lot overlaps.", "%(count)d lots overlap.", n)
        ),
        "supersededLot": lot_template(),
        "supersededLotPart": part_template(),
        "supersededMore": plural_forms(more_template),
        "supersededListed": SUPERSEDED_LISTED,
        "reply": _("Reply"),
        "send": _("Send"),
        "save": _("Save"),
        "editAttributes": _("Edit attributes"),
        "attributesSaved": _("Attributes saved. Run the checks again to see what is left."),
        "numberAsWritten": _("write numbers as %(example)s."),
        "cancel": _("Cancel"),
        "resolve": _("Resolve"),
        "reopen": _("Reopen"),
        "open": _("Open"),
        "resolved": _("Resolved"),
        "showOnMap": _("Show on map"),
        "fromRevision": _("from revision %(number)d"),
        "pinnedPoint": _("Pinned to a point"),
        "pinnedLine": _("Pinned to a line"),
        "pinnedArea": _("Pinned to an area"),
        "pinnedLot": _("Pinned to lot %(code)s"),
        "pinnedNamed": _("Pinned to %(layer)s: %(name)s"),
        "pinnedFeatureOf": _("Pinned to a feature of %(layer)s"),
        "notPinned": _("Not pinned: draw on the map or pick a feature first (optional)."),
        "pickFeature": _("Click a feature of the revision on the map."),
        "noFeatureHere": _("No feature of this revision here."),
        "requestFailed": _("The server could not be reached. Try again."),
        "done": done_messages(),
        "mapLayers": _("Map layers"),
        "changeLayer": _("Changes from the baseline"),
        "legendRevision": _("Land-use categories of this revision"),
        "legendEmpty": _("Switch on a layer to see its legend."),
        "legendUnavailable": _("The legend is not available."),
        "changes": {
            "added": _("Added"),
            "removed": _("Removed"),
            "geometry": _("Geometry changed"),
            "attributes": _("Attributes changed"),
            "geometry_attributes": _("Geometry and attributes changed"),
            "superseded": _("Superseded by another plan"),
        },
        # The change layer's baseline features another project's approval took out of force
        # (compare.py), by that approval; "changes.superseded" when it has no decision number.
        "changeSupersededBy": _("Superseded by %(project)s (%(decision)s)"),
        "noChanges": _("No differences from the baseline."),
        **feature_info_labels(),
        "controls": mapconfig.control_labels(),
    }


def done_messages() -> dict[str, str]:
    """What the status line says once an action succeeded, by action."""
    return {
        "submit": _("Submitted for review."),
        "start-review": _("Review started."),
        "approve": _("Approved: the plan is in force."),
        "request-changes": _("Changes requested: the planner has been told."),
        "reject": _("Rejected."),
        "reopen": _("Review reopened."),
        "withdraw": _("Withdrawn."),
        # the answer holds a copy of the answered revision's layers (CreateRevision)
        "answer": _("New revision created from the one it answers: change what was asked."),
        "comment": _("Comment added."),
        "reply": _("Reply added."),
        "resolve": _("Comment resolved."),
        "reopenComment": _("Comment reopened."),
    }


def open_comments_phrase(count: int) -> str:
    """The approval's warning: "%(count)d comments are still open." (not yet formatted)."""
    return ngettext("%(count)d comment is still open.", "%(count)d comments are still open.", count)


def acknowledge_phrase(count: int) -> str:
    """The label of the approval's acknowledgement of the open comments (not yet formatted)."""
    return ngettext(
        "Approve although %(count)d comment is still open",
        "Approve although %(count)d comments are still open",
        count,
    )


def plural_forms(counted: Callable[[int], str]) -> dict[str, str]:
    """A counted phrase for the front end, by Intl.PluralRules category of the request's
    language: 1 is "one" and 2 "other" in the languages served (vi has only "other").
    `counted(n)` is a literal ngettext call, so that makemessages finds the phrase."""
    return {"one": counted(1), "other": counted(2)}


def feature_info_labels() -> dict[str, Any]:
    """The review map's feature info: what a click on a lot shows (review/info.js)."""
    return {
        "infoNone": _("No planning feature here."),
        "infoError": _("Feature information could not be loaded."),
        "layer": _("Layer"),
        "revision": _("Revision"),
        "revisionState": _("Revision %(number)s · %(state)s"),
        "thisRevision": _("This revision"),
        "plansInForce": _("Plans in force"),
        "changeTitle": _("Change from the baseline"),
        "states": {state.value: str(state.label) for state in RevisionState},
        "kinds": featurelabels.kind_labels(),
        "attributes": featurelabels.attribute_labels(),
        "numericAttributes": featurelabels.numeric_attributes(),
        "valueLabels": featurelabels.value_labels(),
    }


def _answered(user, revision: Revision) -> Revision | None:
    """The revision this one answers, when the user may see it (else not even its number)."""
    if revision.based_on_id is None:
        return None
    return visibility.visible_revisions(user).filter(pk=revision.based_on_id).first()


# The transitions a stale revision is refused (planning.staleness): the page shows them
# disabled, with the reason, rather than letting the board fill in a form the server refuses.
TOWARDS_FORCE = frozenset({"submit", "start-review", "reopen", "approve"})


def stale_context(user, revision: Revision) -> dict[str, Any] | None:
    """The plan in force a revision under way (or a rejected one, which could be reopened)
    would undo, and the refusal's own words."""
    if revision.state not in (*staleness.UNDER_WAY, RevisionState.REJECTED):
        return None
    plan = staleness.overriding_plan(revision)
    if plan is None:
        return None
    return {"plan": plan, "message": staleness.stale_message(revision, plan, user)}


def page_context(user, revision: Revision) -> dict[str, Any]:
    """What the template renders itself: buttons, forms and links (escaped by Django)."""
    buttons = allowed_buttons(user, revision)
    config = build(user, revision, buttons)
    stale = stale_context(user, revision)
    return {
        "revision": revision,
        "project": revision.project,
        "buttons": buttons,
        "stale": stale,
        "blocked_actions": TOWARDS_FORCE if stale else frozenset(),
        "held_back_as_author": config["authorHeldBack"],
        "can_answer": can_answer(user, revision),
        "answered": _answered(user, revision),
        "answers": list(
            visibility.visible_revisions(user).filter(based_on=revision).order_by("number")
        ),
        "can_upload": visibility.can_edit(user, revision),
        "open_comments": _open_comments_context(config["openComments"]),
        "config": config,
    }


def _open_comments_context(count: int) -> dict[str, Any]:
    """The approval's warning and acknowledgement as the page first shows them (review/
    workflow.js rewrites them, with the same phrases, when the comments change)."""
    return {
        "count": count,
        "note": open_comments_phrase(count) % {"count": count},
        "acknowledge": acknowledge_phrase(count) % {"count": count},
    }
