"""REST endpoint for uploads: POST /api/revisions/{id}/uploads/ (multipart)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import api_view, parser_classes
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from importers.service import import_upload
from planning import visibility
from planning.api.serializers import LayerSerializer, UploadSerializer
from planning.errors import NotFound, PayloadTooLarge


@extend_schema(
    request={"multipart/form-data": UploadSerializer}, responses={201: OpenApiTypes.OBJECT}
)
@api_view(["POST"])
@parser_classes([MultiPartParser])
def upload_layer(request: Request, revision_id: int) -> Response:
    """Import one vector file (zipped shapefile, GeoPackage, GeoJSON, KML) as a layer."""
    revision = visibility.visible_revisions(request.user).filter(pk=revision_id).first()
    if revision is None:
        raise NotFound("No such revision.")
    form = UploadSerializer(data=request.data)
    form.is_valid(raise_exception=True)
    upload = form.validated_data["file"]
    result = import_saved_upload(request, revision, upload, form.validated_data)
    return Response(
        {"layer": LayerSerializer(result.layer).data, "report": result.report},
        status=status.HTTP_201_CREATED,
    )


def import_saved_upload(request, revision, upload, data: dict):
    """Write the upload to a private temporary file, import it, remove the file."""
    if upload.size > settings.PLANNING_MAX_UPLOAD_BYTES:
        raise PayloadTooLarge("The file is larger than the server accepts.")
    suffix = Path(upload.name).suffix.lower()[:16]
    with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
        handle.flush()
        return import_upload(
            user=request.user,
            revision=revision,
            path=Path(handle.name),
            filename=Path(upload.name).name,
            kind=data["kind"],
            name=data["name"],
            crs=data.get("crs") or None,
            source_layer=data.get("source_layer") or None,
            remote_addr=request.META.get("REMOTE_ADDR"),
        )
