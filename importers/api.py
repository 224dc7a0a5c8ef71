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

from importers.cad.mapping import parse_mapping
from importers.service import import_cad, inspect_drawing
from importers.uploads import import_uploaded_file, uploaded_file
from planning import visibility
from planning.api.serializers import LayerSerializer, UploadSerializer
from planning.errors import NotAuthenticated, NotFound


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


class CadUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    mapping = serializers.CharField(help_text='JSON {"CAD layer": "kind" or "ignore"}; "*" = rest')
    crs = serializers.CharField(required=False, allow_blank=True)
    encoding = serializers.ChoiceField(choices=["auto", "tcvn3", "vni"], required=False)


class CadInspectSerializer(serializers.Serializer):
    file = serializers.FileField()


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
    with uploaded_file(form.validated_data["file"]) as (path, filename):
        return Response(inspect_drawing(path, filename))
