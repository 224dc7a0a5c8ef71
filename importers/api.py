"""REST endpoint for uploads: POST /api/revisions/{id}/uploads/ (multipart)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, parser_classes
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from importers import presets
from importers.cad.mapping import parse_mapping
from importers.cad.provinces import province_presets
from importers.jobs import submit_cad_job
from importers.service import import_cad, inspect_drawing
from importers.uploads import import_uploaded_file, uploaded_file
from planning import visibility
from planning.api.serializers import LayerSerializer, UploadSerializer
from planning.errors import NotAuthenticated, NotFound
from planning.jobs_api import job_dict
from planning.models import MappingPreset


@extend_schema(
    request={"multipart/form-data": UploadSerializer}, responses={201: OpenApiTypes.OBJECT}
)
@api_view(["POST"])
@parser_classes([MultiPartParser])
def upload_layer(request: Request, revision_id: int) -> Response:
    """Import one vector file (zipped shapefile, GeoPackage, GeoJSON, KML) as a layer."""
    revision = visibility.visible_revisions(request.user).filter(pk=revision_id).first()
    if revision is None:
        raise NotFound(_("No such revision."))
    form = UploadSerializer(data=request.data)
    form.is_valid(raise_exception=True)
    upload = form.validated_data["file"]
    data = form.validated_data
    result = import_uploaded_file(
        user=request.user,
        revision=revision,
        upload=upload,
        kind=data["kind"],
        name=data["name"],
        crs=data.get("crs") or None,
        text_encoding=data.get("text_encoding") or "auto",
        source_layer=data.get("source_layer") or None,
        remote_addr=request.META.get("REMOTE_ADDR"),
    )
    return Response(
        {"layer": LayerSerializer(result.layer).data, "report": result.report},
        status=status.HTTP_201_CREATED,
    )


REPLACE = (
    "Remove the draft's earlier layers of the kinds this import loads (e.g. those a new "
    "revision copied), in the import's transaction."
)
REPLACE_IDS = (
    "With replace_layers: remove only these of them (a field per id: the layers the planner "
    "was shown); the draft's other layers of those kinds are kept and reported."
)


def replace_ids_field() -> serializers.ListField:
    return serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, help_text=REPLACE_IDS
    )


class CadUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    mapping = serializers.CharField(help_text='JSON {"CAD layer": "kind" or "ignore"}; "*" = rest')
    crs = serializers.CharField(required=False, allow_blank=True)
    encoding = serializers.ChoiceField(choices=["auto", "tcvn3", "vni", "cp1258"], required=False)
    control_points = serializers.CharField(required=False, allow_blank=True)
    replace_layers = serializers.BooleanField(required=False, default=False, help_text=REPLACE)
    replace_layer_ids = replace_ids_field()


class CadInspectSerializer(serializers.Serializer):
    file = serializers.FileField()
    crs = serializers.CharField(required=False, allow_blank=True)
    control_points = serializers.CharField(required=False, allow_blank=True)
    # The revision the file is meant for: its project's place gives the far-off warning.
    revision = serializers.IntegerField(required=False, min_value=1)


@extend_schema(
    request={"multipart/form-data": CadUploadSerializer}, responses={201: OpenApiTypes.OBJECT}
)
@api_view(["POST"])
@parser_classes([MultiPartParser])
def upload_cad(request: Request, revision_id: int) -> Response:
    """Convert a DXF/DWG drawing into one planning layer per mapped kind (one transaction)."""
    revision = visibility.visible_revisions(request.user).filter(pk=revision_id).first()
    if revision is None:
        raise NotFound(_("No such revision."))
    form = CadUploadSerializer(data=request.data)
    form.is_valid(raise_exception=True)
    data = form.validated_data
    mapping = parse_mapping(data["mapping"])
    with uploaded_file(data["file"]) as (path, filename):
        result = import_cad(
            user=request.user,
            revision=revision,
            path=path,
            filename=filename,
            mapping=mapping,
            crs=data.get("crs") or None,
            text_encoding=data.get("encoding") or "auto",
            remote_addr=request.META.get("REMOTE_ADDR"),
            control_points=data.get("control_points") or None,
            replace_layers=data["replace_layers"],
            replace_layer_ids=data.get("replace_layer_ids"),
        )
    return Response(
        {"layers": LayerSerializer(result.layers, many=True).data, "report": result.report},
        status=status.HTTP_201_CREATED,
    )


@extend_schema(
    request={"multipart/form-data": CadInspectSerializer}, responses={200: OpenApiTypes.OBJECT}
)
@api_view(["POST"])
@parser_classes([MultiPartParser])
def inspect_cad(request: Request) -> Response:
    """The CAD layers of a drawing with entity counts by type, for the mapping step."""
    if not request.user.is_authenticated:
        raise NotAuthenticated(_("Sign in to upload drawings."))
    form = CadInspectSerializer(data=request.data)
    form.is_valid(raise_exception=True)
    data = form.validated_data
    project = None
    if data.get("revision"):
        revision = visibility.visible_revisions(request.user).filter(pk=data["revision"]).first()
        if revision is None:
            raise NotFound(_("No such revision."))
        project = revision.project
    with uploaded_file(data["file"]) as (path, filename):
        return Response(
            inspect_drawing(
                path,
                filename,
                crs=data.get("crs") or None,
                control_points=data.get("control_points") or None,
                project=project,
            )
        )


class CadJobSerializer(serializers.Serializer):
    file = serializers.FileField()
    mapping = serializers.CharField(required=False, allow_blank=True)
    preset = serializers.CharField(required=False, allow_blank=True)
    crs = serializers.CharField(required=False, allow_blank=True)
    encoding = serializers.CharField(required=False, allow_blank=True)
    control_points = serializers.CharField(required=False, allow_blank=True)
    replace_layers = serializers.BooleanField(required=False, default=False, help_text=REPLACE)
    replace_layer_ids = replace_ids_field()


@extend_schema(
    request={"multipart/form-data": CadJobSerializer}, responses={202: OpenApiTypes.OBJECT}
)
@api_view(["POST"])
@parser_classes([MultiPartParser])
def start_cad_job(request: Request, revision_id: int) -> Response:
    """Queue a drawing (DXF/DWG, or TAB/MIF/SHP) import as a background job."""
    revision = visibility.visible_revisions(request.user).filter(pk=revision_id).first()
    if revision is None:
        raise NotFound(_("No such revision."))
    form = CadJobSerializer(data=request.data)
    form.is_valid(raise_exception=True)
    data = form.validated_data
    job = submit_cad_job(
        user=request.user,
        revision=revision,
        upload=data["file"],
        mapping=data.get("mapping") or None,
        preset=data.get("preset") or None,
        crs=data.get("crs") or None,
        encoding=data.get("encoding") or None,
        control_points=data.get("control_points") or None,
        replace_layers=data["replace_layers"],
        replace_layer_ids=data.get("replace_layer_ids"),
    )
    response = Response(job_dict(job), status=status.HTTP_202_ACCEPTED)
    response["Location"] = f"/api/jobs/{job.pk}/"
    return response


@extend_schema(responses={200: OpenApiTypes.OBJECT})
@api_view(["GET"])
def crs_presets(request: Request) -> Response:
    """VN-2000 TM-3 zone of every province: [{province, slug, srid, label, ...}]."""
    return Response([preset.as_dict() for preset in province_presets()])


@extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
@api_view(["GET", "POST"])
def mapping_presets(request: Request) -> Response:
    """Named layer mappings (with encoding and CRS) reusable across projects."""
    if request.method == "POST":
        preset = presets.save_preset(request.user, dict(request.data))
        return Response(presets.preset_dict(preset), status=status.HTTP_201_CREATED)
    if not request.user.is_authenticated:
        raise NotAuthenticated(_("Sign in to see mapping presets."))
    rows = MappingPreset.objects.select_related("created_by")
    return Response([presets.preset_dict(preset) for preset in rows])


@extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
@api_view(["GET", "PUT", "DELETE"])
def mapping_preset(request: Request, name: str) -> Response:
    """One mapping preset by name: read, replace (or create), delete."""
    if not request.user.is_authenticated:
        raise NotAuthenticated(_("Sign in to see mapping presets."))
    if request.method == "PUT":
        return Response(
            presets.preset_dict(presets.save_preset(request.user, dict(request.data), name=name))
        )
    if request.method == "DELETE":
        presets.delete_preset(request.user, name)
        return Response(status=status.HTTP_204_NO_CONTENT)
    return Response(presets.preset_dict(presets.get_preset(name)))
