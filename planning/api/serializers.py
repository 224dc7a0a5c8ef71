from __future__ import annotations

import json

from rest_framework import serializers

from planning.models import AuditEvent, LandUseCategory, Layer, Project, Revision


class ProjectSerializer(serializers.ModelSerializer):
    boundary = serializers.SerializerMethodField()

    class Meta:
        model = Project
        fields = [
            "id",
            "code",
            "name",
            "level",
            "scale",
            "admin_area",
            "agency",
            "boundary",
            "created_at",
        ]
        read_only_fields = ["id", "boundary", "created_at"]

    def get_boundary(self, project: Project) -> dict | None:
        # Transformed by PostGIS (annotation boundary_geojson): one datum-shift implementation.
        text = getattr(project, "boundary_geojson", None)
        return json.loads(text) if text else None


class RevisionSerializer(serializers.ModelSerializer):
    project_code = serializers.CharField(source="project.code", read_only=True)
    author = serializers.CharField(source="author.username", read_only=True)

    class Meta:
        model = Revision
        fields = [
            "id",
            "project",
            "project_code",
            "number",
            "state",
            "note",
            "author",
            "created_at",
            "submitted_at",
            "approved_at",
            "superseded_at",
            "decision_number",
            "decision_date",
        ]
        read_only_fields = [f for f in fields if f not in {"project", "note"}]


class ApproveSerializer(serializers.Serializer):
    decision_number = serializers.CharField(max_length=100)
    decision_date = serializers.DateField(required=False)


class LayerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Layer
        fields = [
            "id",
            "revision",
            "kind",
            "name",
            "source_name",
            "source_format",
            "source_crs",
            "attribute_schema",
            "feature_count",
            "created_at",
        ]
        read_only_fields = fields


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = LandUseCategory
        fields = ["code", "system", "name_vi", "name_en", "colour"]


class AuditEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", default=None)

    class Meta:
        model = AuditEvent
        fields = ["at", "actor", "action", "project", "revision", "detail"]


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    kind = serializers.CharField()
    name = serializers.CharField(max_length=200)
    crs = serializers.CharField(required=False, allow_blank=True)
    source_layer = serializers.CharField(required=False, allow_blank=True)
    text_encoding = serializers.ChoiceField(
        choices=["auto", "utf-8", "tcvn3", "vni", "cp1258", "cp1252"],
        required=False,
        help_text="Text encoding of legacy files (DBF without .cpg); auto detects TCVN3/VNI.",
    )
