"""REST endpoint for uploads: POST /api/revisions/{id}/uploads/ (multipart)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import api_view, parser_classes
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from importers.uploads import import_uploaded_file
from planning import visibility
from planning.api.serializers import LayerSerializer, UploadSerializer
from planning.errors import NotFound


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
