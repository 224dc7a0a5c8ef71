"""REST endpoints of raster layers.

POST /api/revisions/{id}/rasters/          multipart upload (file, name, kind, crs, scan_date),
                                           converted in the request (201 with the raster)
POST /api/revisions/{id}/rasters/jobs/     the same upload as a background job (202 with the
                                           job; follow it at /api/jobs/{job id}/)
GET  /api/revisions/{id}/rasters/          the revision's rasters
GET  /api/rasters/{id}/                    one raster with its metadata and control points
POST /api/rasters/{id}/georeference/       control points → placed COG, residuals, RMS and
                                           their accuracy on the ground (docs/rasters.md)
GET  /api/rasters/{id}/image.png           the unplaced scan, downsampled (georeferencing page)
GET  /api/rasters/map/                     the rasters the caller's map shows, with clip outline
GET  /api/rasters/map/?revision={id}       the review map's: that revision's, then those in force
GET  /api/rasters/map/?at={date-time}      the web map's on its date: those in force then
Every read goes through rasters.visibility; what the caller may not see is 404.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import numpy as np
import rasterio
from django.db import connection
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from PIL import Image
from rest_framework import serializers, status
from rest_framework.decorators import api_view, parser_classes
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from importers.uploads import uploaded_file
from planning import visibility
from planning.api.auth import is_private
from planning.api.params import parse_moment
from planning.api.times import api_instant
from planning.errors import NotFound
from planning.jobs_api import job_dict
from planning.models import RevisionState
from rasters import georef
from rasters.gdal_env import safe_env
from rasters.georeferencing import accuracy_json, georeference
from rasters.importing import check_permission, import_raster
from rasters.jobs import submit_raster_job
from rasters.models import RasterKind, RasterLayer
from rasters.removal import remove_raster
from rasters.visibility import service_rasters, visible_rasters

PREVIEW_MAX_SIDE = 2048
REVISION_ID = re.compile(r"[1-9][0-9]{0,17}")


class RasterUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="GeoTIFF, TIFF/JPEG/PNG, or a zip with world file")
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    kind = serializers.ChoiceField(choices=RasterKind.choices, default=RasterKind.SCAN)
    crs = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    scan_date = serializers.DateField(required=False, allow_null=True)


class GeoreferenceSerializer(serializers.Serializer):
    control_points = serializers.JSONField(help_text='[{"col","row","x","y"}, …] or [[c,r,x,y]]')
    order = serializers.ChoiceField(choices=[1, 2], default=1)
    crs = serializers.CharField(max_length=20000, help_text="CRS of the map x/y")
    target_crs = serializers.CharField(
        max_length=20000, required=False, allow_blank=True, help_text="CRS of the result"
    )


def raster_json(raster: RasterLayer) -> dict:
    return {
        "id": raster.pk,
        "revision": raster.revision_id,
        "name": raster.name,
        "kind": raster.kind,
        "layer": raster.layer_name,
        "georeferenced": raster.is_georeferenced,
        "georeference_method": raster.georeference_method,
        "crs": f"EPSG:{raster.crs_epsg}" if raster.crs_epsg else (raster.crs_wkt or None),
        "bounds": raster.bounds_native,
        "bounds_wgs84": raster.bounds_wgs84,
        "outside_vietnam": raster.outside_vietnam,  # QA refuses the revision with it
        "pixel_size": [raster.pixel_size_x, raster.pixel_size_y],
        "width": raster.width,
        "height": raster.height,
        "bands": raster.band_count,
        "dtype": raster.dtype,
        "nodata": raster.nodata,
        "source_filename": raster.source_filename,
        "source_format": raster.source_format,
        "scan_date": raster.scan_date.isoformat() if raster.scan_date else None,
        "control_points": raster.control_points,
        "transform_order": raster.transform_order,
        "rms": raster.rms_error,
        "rms_pixels": raster.rms_error_pixels,
        "size_bytes": raster.size_bytes,
        "created_at": api_instant(raster.created_at),
    }


def _revision(user, revision_id: int):
    revision = visibility.visible_revisions(user).filter(pk=revision_id).first()
    if revision is None:
        raise NotFound(_("No such revision."))
    return revision


def _raster(user, raster_id: int) -> RasterLayer:
    raster = visible_rasters(user).select_related("revision__project").filter(pk=raster_id).first()
    if raster is None:
        raise NotFound(_("No such raster."))
    return raster


@extend_schema(methods=["GET"], responses={200: OpenApiTypes.OBJECT})
@extend_schema(
    methods=["POST"],
    request={"multipart/form-data": RasterUploadSerializer},
    responses={201: OpenApiTypes.OBJECT},
)
@api_view(["GET", "POST"])
@parser_classes([MultiPartParser])
def revision_rasters(request: Request, revision_id: int) -> Response:
    """List the revision's rasters, or import one (a draft's planners only)."""
    revision = _revision(request.user, revision_id)
    if request.method == "GET":
        rasters = visible_rasters(request.user).filter(revision=revision)
        return Response([raster_json(r) for r in rasters.select_related("revision").order_by("id")])
    check_permission(request.user, revision)  # before the body is parsed and spooled
    form = RasterUploadSerializer(data=request.data)
    form.is_valid(raise_exception=True)
    data = form.validated_data
    with uploaded_file(data["file"]) as (path, filename):
        result = import_raster(
            user=request.user,
            revision=revision,
            path=path,
            filename=filename,
            name=data.get("name") or "",
            kind=data["kind"],
            crs=data.get("crs") or None,
            scan_date=data.get("scan_date"),
            remote_addr=request.META.get("REMOTE_ADDR"),
        )
    body = {**raster_json(result.raster), "report": result.report}
    return Response(body, status=status.HTTP_201_CREATED)


@extend_schema(
    request={"multipart/form-data": RasterUploadSerializer},
    responses={202: OpenApiTypes.OBJECT},
)
@api_view(["POST"])
@parser_classes([MultiPartParser])
def start_raster_job(request: Request, revision_id: int) -> Response:
    """Queue a raster import (COG conversion) as a background job; the job's result names
    the raster, its failure message is what the direct upload would have answered."""
    revision = _revision(request.user, revision_id)
    check_permission(request.user, revision)  # before the body is parsed and spooled
    form = RasterUploadSerializer(data=request.data)
    form.is_valid(raise_exception=True)
    data = form.validated_data
    job = submit_raster_job(
        user=request.user,
        revision=revision,
        upload=data["file"],
        name=data.get("name") or "",
        kind=data["kind"],
        crs=data.get("crs") or None,
        scan_date=data.get("scan_date"),
        remote_addr=request.META.get("REMOTE_ADDR"),
    )
    response = Response(job_dict(job), status=status.HTTP_202_ACCEPTED)
    response["Location"] = f"/api/jobs/{job.pk}/"
    return response


@extend_schema(methods=["GET"], responses={200: OpenApiTypes.OBJECT})
@extend_schema(methods=["DELETE"], responses={204: None})
@api_view(["GET", "DELETE"])
def raster_detail(request: Request, raster_id: int) -> Response:
    """GET one raster; DELETE removes it from a draft (its planners only, rasters.removal)."""
    raster = _raster(request.user, raster_id)
    if request.method == "DELETE":
        remove_raster(request.user, raster, request.META.get("REMOTE_ADDR"))
        return Response(status=204)
    return Response(raster_json(raster))


@extend_schema(request=GeoreferenceSerializer, responses={200: OpenApiTypes.OBJECT})
@api_view(["POST"])
@parser_classes([JSONParser, MultiPartParser])
def raster_georeference(request: Request, raster_id: int) -> Response:
    """Place an unplaced scan by control points (affine ≥ 3 points, order 2 ≥ 6); the
    raster with each point's ground residual and the fit's `accuracy` (docs/rasters.md)."""
    raster = _raster(request.user, raster_id)
    form = GeoreferenceSerializer(data=request.data)
    form.is_valid(raise_exception=True)
    data = form.validated_data
    points = georef.points_from_json(data["control_points"])
    georeference(
        user=request.user,
        raster=raster,
        points=points,
        order=int(data["order"]),
        crs=data["crs"],
        target_crs=data.get("target_crs") or None,
    )
    return Response(_with_accuracy(raster_json(raster), raster))


def _with_accuracy(body: dict, raster: RasterLayer) -> dict:
    """`body` with each control point's ground residual (`residual_m`, `outlier`) and the
    fit's `accuracy` summary: the residuals in map units do not say metres on the ground,
    nor whether the plan's scale allows them."""
    summary = accuracy_json(raster)
    if summary is None:
        return body
    outliers = set(summary["outliers"])
    body["control_points"] = [
        {**point, "residual_m": residual, "outlier": number in outliers}
        for number, (point, residual) in enumerate(
            zip(body["control_points"], summary["residuals_m"], strict=True), start=1
        )
    ]
    return {**body, "accuracy": summary}


@extend_schema(responses={(200, "image/png"): OpenApiTypes.BINARY})
@api_view(["GET"])
def raster_image(request: Request, raster_id: int) -> HttpResponse:
    """The unplaced image (or the placed one), at most PREVIEW_MAX_SIDE pixels a side."""
    raster = _raster(request.user, raster_id)
    path = raster.raw_file() if raster.raw_path else raster.cog_file()
    with safe_env(), rasterio.open(path) as dataset:
        scale = max(dataset.width, dataset.height) / PREVIEW_MAX_SIDE
        shape = (
            max(1, round(dataset.height / max(scale, 1))),
            max(1, round(dataset.width / max(scale, 1))),
        )
        bands = [1, 2, 3] if dataset.count >= 3 else [1]
        data = dataset.read(bands, out_shape=(len(bands), *shape))
    image = Image.fromarray(_to_bytes(data).transpose(1, 2, 0).squeeze())
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    response = HttpResponse(buffer.getvalue(), content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    return response


def _to_bytes(data: np.ndarray) -> np.ndarray:
    if data.dtype == np.uint8:
        return data
    low, high = float(np.nanmin(data)), float(np.nanmax(data))
    span = high - low or 1.0
    return ((data - low) / span * 255).clip(0, 255).astype(np.uint8)


@extend_schema(
    parameters=[
        OpenApiParameter(
            "revision",
            int,
            description="The review map of this revision: its rasters, then those in force",
        ),
        OpenApiParameter(
            "at",
            str,
            description="The rasters of the plans in force at this ISO 8601 date-time (a "
            "bare date: its end in local time, where WMS TIME takes the end of the day in "
            "UTC: the web map sends the instant), each to be drawn with that WMS TIME; "
            "not with `revision`, which lists that revision's rasters as they are now",
        ),
    ],
    responses={200: OpenApiTypes.OBJECT},
)
@api_view(["GET"])
def map_rasters(request: Request) -> Response:
    """The rasters of the caller's map, each with the outline of its project in EPSG:3857
    (the web map clips the raster to it) and the tile URL to draw it from.

    With ?revision=<id> (the review map): the rasters of that revision, if the caller may
    see it (else 404), marked "reviewed", then the rasters of the plans in force beneath."""
    revision_param = request.query_params.get("revision")
    at = parse_moment(request.query_params.get("at"), "at")
    if revision_param is None:
        # the plans in force now, or at `at` (the map's date), drawn as they were then
        rasters = list(service_rasters(request.user, at).order_by("revision__project__code", "id"))
        times = {r.pk: at for r in rasters}
        reviewed: set[int] = set()
    else:
        rasters, reviewed, moment = _review_rasters(request.user, revision_param)
        times = {pk: moment for pk in reviewed}
    outlines = _outlines({r.revision_id for r in rasters})
    items = [
        _map_item(raster, outlines, raster.pk in reviewed, times.get(raster.pk))
        for raster in rasters
    ]
    if at is not None and revision_param is None:
        for item in items:
            item["in_force"] = True  # on the map's date, which is what it lists
    response = Response({"rasters": items, "labels": _map_labels()})
    if is_private(request.user):
        response["Cache-Control"] = "private, no-store"
    return response


def _review_rasters(user, revision_param: str):
    """The revision's rasters the map services draw for `user`, then those in force, and
    for a superseded revision the moment its rasters are drawn at (WMS TIME)."""
    if not REVISION_ID.fullmatch(revision_param):
        raise NotFound(_("No such revision."))
    revision = _revision(user, int(revision_param))
    moment = _while_in_force(revision)
    own = list(service_rasters(user, moment).filter(revision=revision).order_by("id"))
    in_force = service_rasters(None).exclude(revision=revision)
    context = list(in_force.order_by("revision__project__code", "id"))
    return own + context, {r.pk for r in own}, moment


def _while_in_force(revision) -> datetime | None:
    """A moment a superseded revision was in force (its approval); None for the others,
    whose rasters the services draw now."""
    if revision.state == RevisionState.SUPERSEDED and revision.approved_at is not None:
        return revision.approved_at
    return None


def _map_item(
    raster: RasterLayer, outlines: dict[int, dict], reviewed: bool, moment: datetime | None
) -> dict:
    return {
        **{k: v for k, v in raster_json(raster).items() if k != "control_points"},
        "title": f"{raster.name} ({raster.revision.project.code})",
        "in_force": raster.revision.is_in_force,
        "reviewed": reviewed,
        # the WMS TIME to draw it at: a superseded revision's rasters are not drawn now
        "time": moment.astimezone(UTC).isoformat() if moment else None,
        "clip": outlines.get(raster.revision_id),
    }


def _map_labels() -> dict[str, str]:
    return {
        "title": _("Rasters"),
        "opacity": _("Opacity"),
        "clip": _("Clip to the plan boundary"),
        "draft": _("not in force"),
        "reviewed": _("Rasters of this revision"),
        "inForce": _("Rasters of the plans in force"),
    }


def _outlines(revision_ids: set[int]) -> dict[int, dict]:
    """The outline of each raster's plan as GeoJSON in EPSG:3857 (transformed by PostGIS):
    its project's boundary, else its own revision's boundary layer, else the plan in
    force's (planning.outline). Every revision listed is one the caller sees (the plans in
    force, then, or now; their own drafts; the revision reviewed), so a draft's scan is
    clipped to the draft's boundary and a past plan's to its own (review finding)."""
    if not revision_ids:
        return {}
    import json

    from planning.outline import outline_sql

    sql = (
        "SELECT id, ST_AsGeoJSON(ST_Transform(o, 3857), 2) FROM "  # noqa: S608
        f"(SELECT r.id, {outline_sql('r.project_id', 'r.id')} AS o FROM planning_revision r "
        "WHERE r.id = ANY(%s)) t WHERE o IS NOT NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [sorted(revision_ids)])
        return {row[0]: json.loads(row[1]) for row in cursor.fetchall()}
