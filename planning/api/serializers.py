from __future__ import annotations

import json
import re
from datetime import date

from django.utils.functional import lazy
from django.utils.text import capfirst
from rest_framework import serializers

from planning import decision_rules, scales, visibility
from planning.api.decision_document import decision_document_path
from planning.errors import InvalidInput
from planning.models import AuditEvent, LandUseCategory, Layer, Project, Revision
from planning.workflow import ACKNOWLEDGE_A_COUNT


class ScaleDenominatorField(serializers.IntegerField):
    """planning.scales' bounds. A JSON number, or a string of plain digits: REST framework
    reads the string "2.000" as 2, which in Vietnamese writes two thousand."""

    def __init__(self, **kwargs):
        bounds = lazy(scales.bounds_message, str)()
        kwargs.setdefault("min_value", scales.SCALE_MIN)
        kwargs.setdefault("max_value", scales.SCALE_MAX)
        kwargs.setdefault("error_messages", {"min_value": bounds, "max_value": bounds})
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str) and not re.fullmatch(r"\s*[+-]?\d+\s*", data):
            self.fail("invalid")
        return super().to_internal_value(data)


class ProjectSerializer(serializers.ModelSerializer):
    boundary = serializers.SerializerMethodField()
    scale = ScaleDenominatorField(
        label=capfirst(Project._meta.get_field("scale").verbose_name),
        help_text=Project._meta.get_field("scale").help_text,
    )

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
    # The served URL (planning.api.decision_document), never the file's place under
    # MEDIA_ROOT, which nothing serves.
    decision_document = serializers.SerializerMethodField()

    class Meta:
        model = Revision
        fields = [
            "id", "project", "project_code", "number", "state", "note", "author", "based_on",
            "created_at", "submitted_at", "review_started_at", "decided_at", "decision_note",
            "approved_at", "superseded_at", "decision_number", "decision_date",
            "decision_signer", "decision_document",
        ]  # fmt: skip
        read_only_fields = [f for f in fields if f not in {"project", "note", "based_on"}]

    def get_fields(self):
        """`project` and `based_on` are looked up among what the caller may see, so a hidden
        id is refused exactly like a nonexistent one (400 "Invalid pk … does not exist"):
        the answer never confirms that a hidden project or revision exists."""
        fields = super().get_fields()
        user = getattr(self.context.get("request"), "user", None)
        visible_projects = visibility.visible_projects(user).values("pk")
        fields["project"].queryset = Project.objects.filter(pk__in=visible_projects)
        fields["based_on"].queryset = visibility.visible_revisions(user)
        return fields

    def get_decision_document(self, revision: Revision) -> str | None:
        path = decision_document_path(revision)
        request = self.context.get("request")
        if path is None or request is None:
            return path
        return request.build_absolute_uri(path)

    def to_representation(self, instance: Revision) -> dict:
        """`based_on` only when the caller may see that revision: a published answer to a
        hidden one must not reveal it (planning.visibility)."""
        data = super().to_representation(instance)
        if instance.based_on_id is not None and not self._shows(instance.based_on_id):
            data["based_on"] = None
        return data

    def _shows(self, revision_id: int) -> bool:
        """One query for a whole page: the answered revisions of every row are looked up
        together the first time (kept on the root serializer, which lives for one response)."""
        root = self.root
        asked, found = getattr(root, "_answered_visible", (set(), set()))
        if revision_id not in asked:
            asked = {revision_id, *self._page_answered()}
            user = getattr(self.context.get("request"), "user", None)
            visible = visibility.visible_revisions(user).filter(pk__in=asked)
            found = set(visible.values_list("pk", flat=True))
            root._answered_visible = (asked, found)  # type: ignore[attr-defined]
        return revision_id in found

    def _page_answered(self) -> set[int]:
        page = getattr(self.parent, "instance", None)
        if page is None or isinstance(page, Revision):
            return set()
        return {row.based_on_id for row in page if row.based_on_id is not None}


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000)


def _rule(check):
    """A planning.decision_rules check as a field validator (its message under the field)."""

    def validate(value):
        try:
            check(value)
        except InvalidInput as exc:
            raise serializers.ValidationError(exc.message) from exc
        return value

    return validate


class OpenCommentCountField(serializers.IntegerField):
    """A count of open comment threads: JSON true or the form value "true" is no count (it
    would read as 1, or acknowledge whatever is open), so a boolean is refused outright."""

    default_error_messages = {"invalid": ACKNOWLEDGE_A_COUNT}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


class ApproveSerializer(NoteSerializer):
    decision_number = serializers.CharField(
        max_length=decision_rules.NUMBER_MAX_LENGTH,
        validators=[_rule(decision_rules.check_single_line)],
    )
    decision_date = serializers.DateField(required=False)
    decision_signer = serializers.CharField(
        max_length=decision_rules.SIGNER_MAX_LENGTH,
        required=False,
        allow_blank=True,
        validators=[_rule(decision_rules.check_single_line)],
    )
    decision_document = serializers.FileField(required=False)
    supersede_overlaps = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Confirm that the plan supersedes the overlapping lots of other projects.",
    )
    acknowledge_open_comments = OpenCommentCountField(
        required=False,
        default=0,
        min_value=0,
        help_text="How many open comment threads of the revision the approver saw and approves "
        "over (the review page's count). An approval is refused with 409 and the current "
        "count, `open_comments`, while more threads are open than acknowledged: one posted "
        "or reopened since is not approved over unseen. A boolean is refused with 400.",
    )

    def validate_decision_date(self, value: date) -> date:
        return _rule(decision_rules.check_date)(value)

    def validate_decision_document(self, document):
        return _rule(decision_rules.check_document)(document)


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
