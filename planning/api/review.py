"""REST endpoints of the review: QA findings, land-use balance, comparison, comments."""

from __future__ import annotations

import csv
import io
import json

from django.contrib.gis.db.models.functions import AsGeoJSON, Transform
from django.http import HttpResponse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from planning import compare, qa, visibility
from planning.api.params import parse_int
from planning.api.times import api_instant
from planning.balance import balance_of
from planning.comments import CreateComment, SetCommentStatus, thread_of
from planning.errors import Forbidden, NotFound
from planning.models import Comment, Revision
from planning.revision_edits import DeclareBalance, RepairGeometries


def visible_revision(request: Request, revision_id: int) -> Revision:
    revision = visibility.visible_revisions(request.user).filter(pk=revision_id).first()
    if revision is None:
        raise NotFound(_("No such revision."))
    return revision


def _geometry(text: str | None) -> dict | None:
    return json.loads(text) if text else None


@extend_schema(responses=OpenApiTypes.OBJECT)
@api_view(["GET", "POST"])
def findings(request: Request, revision_id: int) -> Response:
    """GET: the QA findings as GeoJSON, with `status` (not_checked, outdated: checked before
    the last change, current) and `checked_at`. POST: re-run QA (the project's members)."""
    revision = visible_revision(request, revision_id)
    if request.method == "POST":
        if not (request.user.is_staff or visibility.has_any_role(request.user, revision.project)):
            raise Forbidden(_("Only the project's members may re-run the checks."))
        qa.run(revision)
    rows = revision.findings.annotate(geojson=AsGeoJSON(Transform("geom", 4326), precision=7))
    features = [
        {
            "type": "Feature",
            "id": f.pk,
            "geometry": _geometry(f.geojson),
            "properties": {
                "rule": f.rule,
                "severity": f.severity,
                "message": qa.message_of(f),
                "feature": f.feature_id,
            },
        }
        for f in rows
    ]
    errors = revision.findings.filter(severity="error").count()
    checked_at = revision.qa_checked_at
    return Response(
        {
            "type": "FeatureCollection",
            "features": features,
            "errors": errors,
            "warnings": len(features) - errors,
            # not_checked | outdated (checked before the last change) | current
            "status": qa.status_of(revision),
            "checked_at": api_instant(checked_at),
        }
    )


BALANCE_COLUMNS = ("code", "name", "area", "share", "lots")


@extend_schema(
    parameters=[OpenApiParameter("download", str, enum=["csv", "xlsx"])],
    responses=OpenApiTypes.OBJECT,
)
@api_view(["GET", "PUT"])
def balance(request: Request, revision_id: int):
    """The land-use balance table (area and share per category) as JSON, CSV or XLSX.
    PUT {"declared": {code: area m²}} records the table the planner declares (drafts)."""
    revision = visible_revision(request, revision_id)
    if request.method == "PUT":
        revision = DeclareBalance(
            user=request.user,
            revision=revision,
            table=request.data.get("declared"),
            remote_addr=request.META.get("REMOTE_ADDR"),
        ).execute()
    table = balance_of(revision)
    rows = [[getattr(r, c) for c in BALANCE_COLUMNS] for r in table.rows]
    fmt = request.query_params.get("download", "json")  # DRF reserves "format"
    name = f"balance-{revision.project.code}-r{revision.number}"
    if fmt in ("csv", "xlsx"):
        sheet = _sheet_rows(table, rows)
        if fmt == "csv":
            return _download(_csv(sheet), f"{name}.csv", "text/csv")
        return _download(
            _xlsx(sheet),
            f"{name}.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    return Response(
        {
            "rows": [
                dict(zip(BALANCE_COLUMNS, r, strict=True)) | {"colour": t.colour}
                for r, t in zip(rows, table.rows, strict=True)
            ],
            "total_area": table.total_area,
            # from the unrounded areas: the rows' rounded shares may add up to 99.99
            "total_share": table.total_share,
            "boundary_area": table.boundary_area,
            "difference_pct": table.difference_pct,
            # land-use features that are not polygons: lots the table cannot measure
            "without_area": table.without_area,
            "declared": revision.declared_balance,
        }
    )


@extend_schema(request=None, responses=OpenApiTypes.OBJECT)
@api_view(["POST"])
def repair(request: Request, revision_id: int) -> Response:
    """Repair the draft's invalid geometries (ST_MakeValid), then re-run QA."""
    revision = visible_revision(request, revision_id)
    repaired = RepairGeometries(
        user=request.user, revision=revision, remote_addr=request.META.get("REMOTE_ADDR")
    ).execute()
    result = qa.run(revision)
    return Response({"repaired": repaired, "errors": result.errors, "warnings": result.warnings})


# What a spreadsheet reads as a formula at the start of a cell (OWASP "CSV injection"):
# category codes come from imported files.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _inert(text: str) -> str:
    """Text a spreadsheet shows as text: a leading apostrophe before a formula's start."""
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def _sheet_rows(table, rows: list[list]) -> list[list]:
    """The balance as people open it in a spreadsheet: headers and the total row in the
    reader's language, an uncategorised row's name never "None" (QA walk), no text a
    spreadsheet would run as a formula (a category code `=HYPERLINK(…)` from a file)."""
    header = [_("Code"), _("Category"), _("Area (m²)"), _("Share (%)"), _("Lots")]
    body = [[_inert(code), _inert(name or ""), *numbers] for code, name, *numbers in rows]
    lots = sum(r.lots for r in table.rows)
    return [header, *body, [_("Total"), "", table.total_area, table.total_share, lots]]


def _csv(sheet: list[list]) -> bytes:
    """CSV as the reader's spreadsheet reads it: where the decimal mark is a comma
    (Vietnamese), fields are separated by semicolons, as Excel expects there."""
    decimal = formats.get_format("DECIMAL_SEPARATOR")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if decimal == "," else ",")
    for row in sheet:
        writer.writerow([str(v).replace(".", decimal) if isinstance(v, float) else v for v in row])
    return buffer.getvalue().encode("utf-8-sig")  # the BOM: Excel then reads UTF-8


def _xlsx(sheet_rows: list[list]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = _("Land-use balance")[:31]  # a sheet's name holds 31 characters
    for row in sheet_rows:
        sheet.append(row)
    for cells in sheet.iter_rows():
        for cell in cells:  # openpyxl stores any "=…" string as a formula: text stays text
            if isinstance(cell.value, str):
                cell.data_type = "s"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _download(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@extend_schema(parameters=[OpenApiParameter("against", int)], responses=OpenApiTypes.OBJECT)
@api_view(["GET"])
def changes(request: Request, revision_id: int) -> Response:
    """Features added, removed or changed against `against` (default: the revision this one
    answers if the caller may see it, else the plan its approval replaces), as GeoJSON. Each feature's
    `change` is `added`, `removed`, `geometry`, `attributes` or `geometry_attributes` (both
    changed); geometry shifts up to 1 cm (`compare.GEOMETRY_TOLERANCE_M`, e.g. from a lon/lat
    round trip) do not count as changes. A baseline feature another project's approval took
    out of force is `superseded`, not `removed`, with `superseded_by` naming that approval
    (`revision`, `project`, `decision_number`)."""
    revision = visible_revision(request, revision_id)
    against = request.query_params.get("against")
    baseline = (
        visible_revision(request, parse_int(against, "against", 0, 0, 2**62))
        if against
        else compare.baseline_of(revision, request.user)
    )
    if baseline is None:
        return Response({"type": "FeatureCollection", "features": [], "against": None})
    features = [
        {
            "type": "Feature",
            "geometry": c.geometry,
            "properties": {
                "change": c.change,
                "kind": c.kind,
                "code": c.code,
                "old_id": c.old_id,
                "new_id": c.new_id,
                "before": c.attributes_before,
                "after": c.attributes_after,
                "superseded_by": c.superseded_by.as_dict() if c.superseded_by else None,
            },
        }
        for c in compare.changes(baseline, revision)
    ]
    return Response({"type": "FeatureCollection", "features": features, "against": baseline.pk})


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", read_only=True)
    geometry = serializers.JSONField(write_only=True, required=False, allow_null=True)
    revision_number = serializers.IntegerField(source="revision.number", read_only=True)
    # Plain ids, checked by CreateComment against what the caller sees (404 alike for a
    # missing and a hidden one): a related field would answer 400 for a missing id only,
    # telling which ids of other drafts exist.
    parent = serializers.IntegerField(
        source="parent_id", required=False, allow_null=True, min_value=1, max_value=2**63 - 1
    )
    feature = serializers.IntegerField(
        source="feature_id", required=False, allow_null=True, min_value=1, max_value=2**63 - 1
    )

    class Meta:
        model = Comment
        fields = [
            "id",
            "revision",
            "revision_number",
            "author",
            "parent",
            "body",
            "geometry",
            "feature",
            "status",
            "created_at",
            "resolved_at",
        ]
        read_only_fields = [
            "id",
            "revision",
            "revision_number",
            "author",
            "status",
            "created_at",
            "resolved_at",
        ]


def _comment_json(comment: Comment, geojson: str | None) -> dict:
    data = CommentSerializer(comment).data
    # Shown as the page shows its other times (|date:"SHORT_DATETIME_FORMAT"): the server's
    # zone and the language's format, not the browser's zone.
    data["created_display"] = formats.date_format(
        timezone.localtime(comment.created_at), "SHORT_DATETIME_FORMAT"
    )
    data["geometry"] = _geometry(geojson)
    data["inherited"] = False
    return data


@extend_schema(request=CommentSerializer, responses=OpenApiTypes.OBJECT)
@api_view(["GET", "POST"])
def comments(request: Request, revision_id: int) -> Response:
    """GET: the comments of the revision plus the open ones of the revisions it answers
    that the caller may see (comments.answered_revisions).
    POST: a new comment or reply pinned to a GeoJSON geometry (EPSG:4326) or a feature."""
    revision = visible_revision(request, revision_id)
    if request.method == "POST":
        form = CommentSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        comment = CreateComment(
            user=request.user,
            revision=revision,
            body=data["body"],
            geometry=data.get("geometry"),
            feature_id=data.get("feature_id"),
            parent_id=data.get("parent_id"),
            remote_addr=request.META.get("REMOTE_ADDR"),
        ).execute()
        return Response(
            _listed(Comment.objects.filter(pk=comment.pk), revision)[0],
            status=status.HTTP_201_CREATED,
        )
    return Response({"comments": _listed(thread_of(revision, request.user), revision)})


def _listed(queryset, revision: Revision) -> list[dict]:
    rows = queryset.annotate(geojson=AsGeoJSON(Transform("geom", 4326), precision=7))
    listed = []
    for comment in rows:
        data = _comment_json(comment, comment.geojson)
        data["inherited"] = comment.revision_id != revision.pk
        listed.append(data)
    return listed


class StatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Comment.Status.choices)


@extend_schema(request=StatusSerializer, responses=OpenApiTypes.OBJECT)
@api_view(["PATCH"])
def comment_status(request: Request, comment_id: int) -> Response:
    """Resolve or reopen a comment thread."""
    comment = Comment.objects.filter(
        pk=comment_id, revision__in=visibility.visible_revisions(request.user)
    ).first()
    if comment is None:
        raise NotFound(_("No such comment."))
    form = StatusSerializer(data=request.data)
    form.is_valid(raise_exception=True)
    SetCommentStatus(
        user=request.user,
        comment=comment,
        status=form.validated_data["status"],
        remote_addr=request.META.get("REMOTE_ADDR"),
    ).execute()
    return Response(_listed(Comment.objects.filter(pk=comment.pk), comment.revision)[0])
