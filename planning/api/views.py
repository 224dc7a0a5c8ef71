"""REST API views: translate HTTP into domain calls and back, nothing more."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.gis.db.models.functions import AsGeoJSON, Transform
from django.contrib.gis.geos import Point, Polygon
from django.contrib.gis.measure import D
from django.db.models import Q
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.request import Request
from rest_framework.response import Response

from planning import actions, extent, geojson, visibility
from planning.api import params
from planning.api.serializers import (
    ApproveSerializer,
    AuditEventSerializer,
    CategorySerializer,
    LayerSerializer,
    NoteSerializer,
    ProjectSerializer,
    RevisionSerializer,
)
from planning.audit import require_user
from planning.errors import Forbidden, InvalidInput, NotFound
from planning.feature_edits import EditFeatureAttributes
from planning.layer_kinds import KINDS
from planning.models import (
    Feature,
    LandUseCategory,
    Layer,
    Project,
    Revision,
    RevisionState,
    by_public_id,
)
from planning.revision_edits import RemoveLayer
from planning.workflow import RevisionTransition


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR")


class ProjectViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = ProjectSerializer

    def get_queryset(self):
        return (
            visibility.visible_projects(self.request.user)
            .distinct()
            .order_by("code")
            .annotate(boundary_geojson=AsGeoJSON(Transform("boundary", 4326), precision=7))
        )

    def create(self, request, *args, **kwargs):
        # Who may create projects is settled before the body is validated: the form's
        # unique-code check would otherwise tell any account which hidden codes exist.
        require_user(request.user)
        if not visibility.can_create_project(request.user):
            raise Forbidden(_("You may not create planning projects."))
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = actions.CreateProject(
            user=self.request.user,
            remote_addr=client_ip(self.request),
            code=data["code"],
            name=data["name"],
            level=data["level"],
            scale=data["scale"],
            admin_area=data.get("admin_area", ""),
            agency=data.get("agency", ""),
        ).execute()

    @action(detail=True)
    def audit(self, request, pk=None):
        """The latest 500 events the caller may read (visibility.visible_audit_events):
        members the project's history, everyone else only its public decisions."""
        project = self.get_object()
        events = list(visibility.visible_audit_events(request.user, project)[:500])
        data = AuditEventSerializer(events, many=True).data
        if not visibility.reads_whole_audit_log(request.user, project):
            for row, event in zip(data, events, strict=True):
                row["detail"] = visibility.public_audit_detail(event)
        return Response(data)


class RevisionViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = RevisionSerializer

    def get_queryset(self):
        revisions = visibility.visible_revisions(self.request.user).select_related(
            "project", "author"
        )
        project = self.request.query_params.get("project")
        if project:
            revisions = revisions.filter(
                project_id=params.parse_int(project, "project", 0, 0, 2**62)
            )
        return revisions.order_by("project__code", "number")

    def perform_create(self, serializer):
        """A new draft; without `based_on`, prepared on the project's plan in force (its
        layers copied, as the project page's "New revision" does): a draft of a project in
        force that replaces nothing could never be submitted (planning.staleness; QA walk:
        POST {"project": 2} made one). `"based_on": null` asks for one all the same."""
        # The serializer resolves `project` and `based_on` among the caller's visible ones.
        data = serializer.validated_data
        serializer.instance = actions.CreateRevision(
            user=self.request.user,
            project=data["project"],
            note=data.get("note", ""),
            based_on=data.get("based_on"),
            on_plan_in_force="based_on" not in self.request.data,
            remote_addr=client_ip(self.request),
        ).execute()

    def _transition(
        self,
        request,
        transition: type[RevisionTransition],
        form_class: type[NoteSerializer] = NoteSerializer,
        fields_of: Callable[[dict], dict] = lambda data: {},
    ) -> Response:
        """Permission (403) before the form (400): a caller who may not act is not asked to
        fill a form they can never submit. `fields_of` maps the valid form to the
        transition's further fields."""
        revision = self.get_object()
        transition(user=request.user, revision=revision).check_permission()
        form = form_class(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        revision = transition(
            user=request.user,
            revision=revision,
            remote_addr=client_ip(request),
            note=data.get("note", ""),
            **fields_of(data),
        ).execute()
        return Response(RevisionSerializer(revision, context={"request": request}).data)

    @extend_schema(request=NoteSerializer, responses=RevisionSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Freeze the draft for review; automatic QA errors block it (400 with the count)."""
        return self._transition(request, actions.SubmitRevision)

    @extend_schema(request=NoteSerializer, responses=RevisionSerializer)
    @action(detail=True, methods=["post"], url_path="start-review")
    def start_review(self, request, pk=None):
        return self._transition(request, actions.StartReview)

    @extend_schema(request=NoteSerializer, responses=RevisionSerializer)
    @action(detail=True, methods=["post"], url_path="request-changes")
    def request_changes(self, request, pk=None):
        return self._transition(request, actions.RequestChanges)

    @extend_schema(request=NoteSerializer, responses=RevisionSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._transition(request, actions.RejectRevision)

    @extend_schema(request=NoteSerializer, responses=RevisionSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._transition(request, actions.WithdrawRevision)

    @extend_schema(request=NoteSerializer, responses=RevisionSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        return self._transition(request, actions.ReopenRevision)

    @extend_schema(
        request={"multipart/form-data": ApproveSerializer, "application/json": ApproveSerializer},
        responses=RevisionSerializer,
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve with the decision number, date, signer and the signed decision (PDF)."""
        return self._transition(request, actions.ApproveRevision, ApproveSerializer, _decision)


def _decision(data: dict) -> dict:
    """The approval form's fields as ApproveRevision takes them."""
    return {
        "decision_number": data["decision_number"],
        "decision_date": data.get("decision_date"),
        "decision_signer": data.get("decision_signer", ""),
        "decision_document": data.get("decision_document"),
        "supersede_overlaps": data.get("supersede_overlaps", False),
        "acknowledge_open_comments": data.get("acknowledge_open_comments", 0),
    }


class LayerViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = LayerSerializer

    def get_queryset(self):
        layers = visibility.visible_layers(self.request.user)
        revision = self.request.query_params.get("revision")
        if revision:
            layers = layers.filter(revision_id=params.parse_int(revision, "revision", 0, 0, 2**62))
        return layers.order_by("revision_id", "id")

    @extend_schema(
        parameters=[OpenApiParameter("limit", int), OpenApiParameter("offset", int)],
        responses=OpenApiTypes.OBJECT,
    )
    @action(detail=True)
    def features(self, request, pk=None):
        """The layer's features as a GeoJSON FeatureCollection in EPSG:4326."""
        params.only(request.query_params, {"limit", "offset"})
        layer = self.get_object()
        return _features_response(request, Feature.objects.filter(layer=layer))

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        """Remove a layer with its features from a draft (the project's planners)."""
        return remove_layer(request, pk)


class FeatureViewSet(viewsets.GenericViewSet):
    queryset = Feature.objects.none()

    @extend_schema(
        parameters=[
            OpenApiParameter("layer", int),
            OpenApiParameter("revision", int),
            OpenApiParameter(
                "at", str, description="the plans in force at this date or time (ISO 8601)"
            ),
            OpenApiParameter("bbox", str, description="minx,miny,maxx,maxy in EPSG:4326"),
            OpenApiParameter("limit", int),
            OpenApiParameter("offset", int),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def list(self, request):
        """Visible features as GeoJSON; without layer or revision only plans in force."""
        features = visibility.visible_features(request.user)
        query = request.query_params
        params.only(query, {"layer", "revision", "at", "bbox", "limit", "offset"})
        if query.get("layer"):
            features = features.filter(
                layer_id=params.parse_int(query["layer"], "layer", 0, 0, 2**62)
            )
        elif query.get("revision"):
            features = features.filter(
                layer__revision_id=params.parse_int(query["revision"], "revision", 0, 0, 2**62)
            )
        else:
            at = params.parse_moment(query.get("at"), "at")
            features = features.filter(id__in=visibility.in_force_features(at).values("id"))
        bbox = params.parse_bbox(query.get("bbox"))
        if bbox:
            area = Polygon.from_bbox(bbox)
            area.srid = 4326
            features = features.filter(geom__intersects=area)
        return _features_response(request, features)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def retrieve(self, request, pk=None):
        """One feature by the id the services publish: the lot's copy in force (else its
        latest approved one) keeps the id of its first publication (Feature.public_id)."""
        return Response(_feature_json(_visible_feature(request, pk).pk))

    @extend_schema(
        request={
            "application/json": {
                "type": "object",
                "properties": {
                    "attributes": {"type": "object"},
                    "expected": {"type": "object"},
                },
                "required": ["attributes"],
            }
        },
        responses=OpenApiTypes.OBJECT,
    )
    def partial_update(self, request, pk=None):
        """Set or clear planning attributes of a draft's feature (the project's planners):
        {"attributes": {"function": "ODT", "density": 60, "far": null}}; the layer kind's
        schema attributes only, checked as QA checks them; null or "" clears one. With
        "expected": {name: value shown}, a value changed meanwhile is a 409."""
        feature = _visible_feature(request, pk)
        data = request.data if isinstance(request.data, dict) else {}
        EditFeatureAttributes(
            user=request.user,
            feature=feature,
            changes=data.get("attributes"),
            expected=data.get("expected"),
            remote_addr=client_ip(request),
        ).execute()
        return Response(_feature_json(feature.pk))


def _visible_feature(request, pk: str | None) -> Feature:
    """The feature the public id names among those the caller may see, else 404."""
    number = params.parse_int(pk, "id", 0, 0, 2**62)
    found = by_public_id(visibility.visible_features(request.user), number)
    feature = found.select_related("layer").first()
    if feature is None:
        raise NotFound(_("No such feature."))
    return feature


def _feature_json(feature_id: int) -> dict:
    collection = geojson.feature_collection(Feature.objects.filter(pk=feature_id), limit=1)
    if not collection["features"]:
        raise NotFound(_("No such feature."))
    return collection["features"][0]


def _features_response(request, features) -> Response:
    limit = params.parse_int(request.query_params.get("limit"), "limit", 1000, 1, params.MAX_LIMIT)
    offset = params.parse_int(request.query_params.get("offset"), "offset", 0, 0, 10**9)
    # A feature stored far off (before imports refused it) cannot be transformed to lon/lat.
    features = features.filter(geom__contained=extent.storage_envelope_polygon())
    collection = geojson.feature_collection(features, limit=limit, offset=offset)
    if collection.pop("has_more"):
        query = request.query_params.copy()
        query["offset"] = str(offset + limit)
        query["limit"] = str(limit)
        collection["links"] = [
            {
                "rel": "next",
                "type": "application/geo+json",
                "href": request.build_absolute_uri(f"?{query.urlencode()}"),
            }
        ]
    return Response(collection, content_type="application/geo+json")


class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CategorySerializer
    queryset = LandUseCategory.objects.all()
    lookup_field = "code"
    pagination_class = None


@extend_schema(
    parameters=[
        OpenApiParameter("lon", float, required=True),
        OpenApiParameter("lat", float, required=True),
        OpenApiParameter("tolerance", float, description="search radius in metres (default 2)"),
        OpenApiParameter(
            "revisions", str, description="extra revision ids to query (visible ones only)"
        ),
        OpenApiParameter(
            "at",
            str,
            description="the plans in force at this ISO 8601 date-time instead of now (a "
            "bare date: its end in local time, where WMS TIME takes the end of the day in "
            "UTC: the web map sends the instant its TIME stands for)",
        ),
    ],
    responses=OpenApiTypes.OBJECT,
)
@api_view(["GET"])
def feature_info(request: Request) -> Response:
    """Features under a map click: plans in force (now, or `at`), plus the listed revisions
    the user may see."""
    params.only(request.query_params, {"lon", "lat", "tolerance", "revisions", "at"})
    lon = params.parse_float(request.query_params.get("lon"), "lon")
    lat = params.parse_float(request.query_params.get("lat"), "lat")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidInput("lon/lat out of range.")
    tolerance = params.parse_float(request.query_params.get("tolerance") or "2", "tolerance")
    tolerance = min(max(tolerance, 0.0), 500.0)
    extra = params.parse_ids(request.query_params.get("revisions"), "revisions")
    at = params.parse_moment(request.query_params.get("at"), "at")
    rule = Q(id__in=visibility.in_force_features(at).values("id"))
    if extra:
        rule |= Q(
            layer__revision__in=visibility.visible_revisions(request.user).filter(id__in=extra)
        )
    point = Point(lon, lat, srid=4326)
    features = (
        visibility.visible_features(request.user)
        .filter(rule)
        .filter(geom__dwithin=(point, D(m=tolerance)))
        .select_related("layer__revision__project")[:50]
    )
    colours = geojson.category_colours()
    found = sorted((_info(f, colours) for f in features), key=lambda i: i["_order"])
    if at is not None:
        _as_of(found, at)
    for item in found:
        item.pop("_order")
        item.pop("_row")
    return Response({"features": found})


def _as_of(found: list[dict], at) -> None:
    """On the map's date a feature in force then says so, not what became of its revision
    since (QA walk: a lot in force on that date read "superseded")."""
    then = set(
        visibility.in_force_features(at)
        .filter(id__in=[item["_row"] for item in found])
        .values_list("id", flat=True)
    )
    for item in found:
        if item["_row"] in then:
            item["state"] = RevisionState.APPROVED


def _info(feature: Feature, colours) -> dict:
    layer: Layer = feature.layer
    revision: Revision = layer.revision
    project: Project = revision.project
    colour, name = colours.get(feature.category, ("", ""))
    return {
        "id": feature.public_id,
        "project_code": project.code,
        "project_name": project.name,
        "revision_id": revision.pk,
        "revision_number": revision.number,
        "state": revision.state,
        "layer_name": layer.name,
        # the name as pages show it: a generated kind label in the caller's language
        "layer_title": layer.shown_name,
        "kind": layer.kind,
        "category": feature.category,
        "category_name": name,
        "colour": colour,
        "attributes": feature.attributes,
        "_order": KINDS[layer.kind].draw_order if layer.kind in KINDS else 0,
        "_row": feature.pk,
    }


def remove_layer(request: Request, pk: str | None) -> Response:
    """DELETE /api/layers/{id}/: 404 unless the caller may see the layer, then 403 for all
    but the project's planners and staff, 409 once the revision left the draft state."""
    layer_id = params.parse_int(pk, "id", 0, 0, 2**62)
    layer = visibility.visible_layers(request.user).filter(pk=layer_id).first()
    if layer is None:
        raise NotFound(_("No such layer."))
    RemoveLayer(user=request.user, layer=layer, remote_addr=client_ip(request)).execute()
    return Response(status=status.HTTP_204_NO_CONTENT)
