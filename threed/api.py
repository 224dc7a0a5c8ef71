"""REST endpoints of the threed app: 3D model uploads and zoning envelopes."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, parser_classes
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from planning import visibility
from planning.errors import NotFound
from planning.models import Revision
from planning.revision_edits import check_draft_edit
from threed.models3d import HEIGHT_RANGE, ROTATION_RANGE


def _revision(request: Request, revision_id: int) -> Revision:
    revision = visibility.visible_revisions(request.user).filter(pk=revision_id).first()
    if revision is None:
        raise NotFound(_("No such revision."))
    return revision


def _editable(request: Request, revision_id: int) -> Revision:
    """A revision the caller may change: the role (403) before the state (409)."""
    revision = _revision(request, revision_id)
    check_draft_edit(request.user, revision)
    return revision


class ModelUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CityJSON (.json), glTF (.gltf/.glb) or OBJ")
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=["buildings"], required=False)
    crs = serializers.CharField(required=False, allow_blank=True)
    origin_x = serializers.FloatField(required=False)
    origin_y = serializers.FloatField(required=False)
    origin_z = serializers.FloatField(
        required=False, default=0.0, min_value=HEIGHT_RANGE[0], max_value=HEIGHT_RANGE[1]
    )
    rotation = serializers.FloatField(
        required=False,
        default=0.0,
        help_text="degrees",
        min_value=ROTATION_RANGE[0],
        max_value=ROTATION_RANGE[1],
    )


@extend_schema(
    request={"multipart/form-data": ModelUploadSerializer},
    responses={201: OpenApiTypes.OBJECT},
)
@api_view(["POST"])
@parser_classes([MultiPartParser])
def upload_model(request: Request, revision_id: int) -> Response:
    """Import a 3D model (CityJSON, or glTF/GLB/OBJ placed by origin and rotation)."""
    from importers.service import _check_permission
    from threed.models3d import Placement, import_model_upload

    revision = _revision(request, revision_id)
    # Before the body is parsed and spooled; a model becomes a layer, so the GIS uploads'
    # check, which names the state to a planner of a revision that left the draft.
    _check_permission(request.user, revision)
    form = ModelUploadSerializer(data=request.data)
    form.is_valid(raise_exception=True)
    data = form.validated_data
    placement = None
    if data.get("origin_x") is not None and data.get("origin_y") is not None:
        placement = Placement(
            data["origin_x"], data["origin_y"], data["origin_z"], data["rotation"]
        )
    result = import_model_upload(
        user=request.user,
        revision=revision,
        upload=data["file"],
        name=data["name"],
        crs=data.get("crs") or None,
        placement=placement,
    )
    return Response(result, status=status.HTTP_201_CREATED)


@extend_schema(responses={200: OpenApiTypes.OBJECT})
@api_view(["GET", "POST"])
def envelopes(request: Request, revision_id: int) -> Response:
    """GET: the zoning envelopes of a revision; POST: rebuild them (planners of a draft)."""
    from threed.envelopes import build_envelopes, envelopes_json

    if request.method == "POST":
        revision = _editable(request, revision_id)
        build_envelopes(revision)
    else:
        revision = _revision(request, revision_id)
    return Response(envelopes_json(revision))
