from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GistIndex
from django.db.models import BigIntegerField, Case, F, Func, Q, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from planning import layer_names
from planning.layer_kinds import KIND_CHOICES
from planning.models.revisions import PUBLISHED_STATES, RevisionState


class Layer(models.Model):
    """A planning layer of one revision (land-use lots, roads, red lines ...)."""

    revision = models.ForeignKey(
        "Revision", on_delete=models.CASCADE, related_name="layers", verbose_name=_("revision")
    )
    kind = models.CharField(_("kind"), max_length=32, choices=KIND_CHOICES)
    name = models.CharField(_("name"), max_length=200)
    source_name = models.CharField(_("source file"), max_length=300, blank=True)
    source_format = models.CharField(_("source format"), max_length=64, blank=True)
    source_crs = models.TextField(_("source CRS"), blank=True)
    # The attribute names and types of the source, in source order: [{"name", "type"}].
    attribute_schema = models.JSONField(default=list)
    feature_count = models.PositiveIntegerField(_("feature count"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # The layer "New revision" copied this one from (planning.actions._copy_layers); null for
    # a layer imported or drawn into its revision, and for copies made before the column
    # (they count as the planner's own: the CAD page does not offer to replace them ticked).
    copied_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("copied from"),
    )

    class Meta:
        ordering = ["revision", "kind", "id"]
        verbose_name = _("layer")
        verbose_name_plural = _("layers")
        indexes = [models.Index(fields=["revision", "kind"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"

    @property
    def shown_name(self) -> str:
        """The name as pages show it: a generated kind label in the reader's language."""
        return layer_names.shown_name(self.name)


class Feature(models.Model):
    """A planning feature: 2D geometry in the storage CRS, optional 3D, JSONB attributes."""

    # Integrity is kept by set-based statement triggers (migration 0004), not a row-level
    # foreign key: per-row RI checks cost as much as the whole COPY of a large import.
    layer = models.ForeignKey(
        Layer, on_delete=models.CASCADE, related_name="features", db_constraint=False
    )
    geom = models.GeometryField(srid=settings.PLANNING_STORAGE_SRID)
    geom_3d = models.GeometryField(
        srid=settings.PLANNING_STORAGE_SRID, dim=3, null=True, blank=True, spatial_index=False
    )
    attributes = models.JSONField(default=dict)
    # Land-use category code copied out of the attributes: styling and balance tables.
    category = models.CharField(max_length=32, blank=True)
    # Where the feature came from: "<file>#<source layer>:<fid>".
    source_ref = models.CharField(max_length=500, blank=True)
    # The id this feature is published under (public_id), shared by the copies answering
    # revisions take: the id of the lot's first published feature, set on a copy of a
    # published one; a copy of an unpublished feature carries its source's value (null
    # for a lot never published yet); null for a feature imported fresh, until the approval
    # links it to the feature it continues in the plan it replaces (planning.lineage). So
    # an approval that leaves a lot in place does not renumber it for WFS, OGC API and MVT.
    lineage = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)

    class Meta:
        # Most features have no 3D geometry: a partial index skips their NULL entries.
        # No GIN index on attributes: it tripled bulk-load time and the services filter with
        # ->> expressions, which jsonb_ops does not serve. Add expression indexes per need.
        indexes = [
            GistIndex(
                fields=["geom_3d"], condition=Q(geom_3d__isnull=False), name="feature_geom_3d_gist"
            )
        ]

    def __str__(self) -> str:
        return f"feature {self.pk} of layer {self.layer_id}"

    @property
    def public_id(self) -> int:
        """The id the services publish (the rule is written out below the class)."""
        published = self.layer.revision.state in PUBLISHED_STATES
        return (self.lineage or self.pk) if published else self.pk


# The public id of a feature, the one rule every service applies (WFS gml:id and
# RESOURCEID, OGC API item ids, MVT feature ids, GetFeatureInfo, /api/features/):
# `lineage or id` once its revision is published (in force or superseded), so every
# approved copy of an unchanged lot keeps the id of its first publication; its own id
# before (a draft, a submitted or sent-back revision), so a draft copy never shares the
# id of the plan in force shown next to it, nor a sent-back original its approved answer.
# Published lineages stay in one project, one revision of which is in force at an instant:
# among the features in force at one instant (and a caller's drafts) one id is one feature.
_PUBLISHED_SQL = ", ".join(f"'{state}'" for state in PUBLISHED_STATES)  # constants
_PUBLIC_ID_SQL = (
    f"(CASE WHEN {{state}} IN ({_PUBLISHED_SQL})"
    " THEN COALESCE({lineage}, {id}) ELSE {id} END)"
)


def public_id_sql(feature: str, state: str) -> str:
    """The rule in SQL, over the columns of table alias `feature` and its revision's state
    column `state` (for statements written in SQL: vector tiles)."""
    return _PUBLIC_ID_SQL.format(state=state, lineage=f"{feature}.lineage", id=f"{feature}.id")


class PublicId(Func):
    """The rule as an ORM expression over a Feature queryset."""

    output_field = BigIntegerField()

    def __init__(self) -> None:
        super().__init__(F("layer__revision__state"), F("lineage"), F("id"))

    def as_sql(self, compiler, connection, **extra):  # type: ignore[no-untyped-def, override]
        (state, state_params), (lineage, lineage_params), (pk, pk_params) = (
            compiler.compile(e) for e in self.get_source_expressions()
        )
        sql = _PUBLIC_ID_SQL.format(state=state, lineage=lineage, id=pk)
        return sql, (*state_params, *lineage_params, *pk_params, *pk_params)


def public_ids_q(numbers: list[int]) -> Q:
    """The features the public ids `numbers` name: the rule of PublicId in a form the
    indexes on id and lineage serve. Restrict it to what the caller may see first."""
    published = Q(layer__revision__state__in=PUBLISHED_STATES)
    published_ids = Q(lineage__in=numbers) | Q(lineage__isnull=True, pk__in=numbers)
    rule = (published & published_ids) | (~published & Q(pk__in=numbers))
    # Implied by the rule, on the feature table alone: the indexes narrow the rows first.
    return (Q(lineage__in=numbers) | Q(pk__in=numbers)) & rule


def by_public_id(features: QuerySet[Feature], number: int) -> QuerySet[Feature]:
    """The features of `features` the public id `number` names, the likeliest meant first:
    the copy in force, then the copies approved later, then an unpublished feature. Among
    the features in force at one instant there is at most one; a listing of every visible
    revision (the REST API) holds the lot's superseded copies too."""
    return features.filter(public_ids_q([number])).order_by(
        Case(When(layer__revision__state=RevisionState.APPROVED, then=Value(0)), default=Value(1)),
        F("layer__revision__approved_at").desc(nulls_last=True),
        "-id",
    )
