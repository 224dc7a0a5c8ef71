"""Automatic QA of a revision: one rule per module, registered here, run at submission.

A rule is a function `check(context) -> Iterable[Found]` decorated with `@rule(code,
message)`. Rules compute in PostGIS (set-based SQL with bound values), so they scale with the
plan, not with Python. Findings are stored with their geometry so the review page can zoom
to each; their message is rendered in the reader's language from the rule's template.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.db import connection, transaction

from planning.models import QAFinding, Revision

ERROR, WARNING = QAFinding.Severity.ERROR, QAFinding.Severity.WARNING


@dataclass
class Found:
    severity: str
    params: dict
    geom_ewkb: bytes | None = None
    feature_id: int | None = None


@dataclass(frozen=True)
class Rule:
    code: str
    message: str  # a translatable template with %(name)s placeholders from Found.params
    check: Callable[[Context], Iterable[Found]]


@dataclass
class Context:
    """What every rule needs, computed once per run."""

    revision: Revision
    area_tolerance: float = field(default_factory=lambda: settings.PLANNING_QA_AREA_TOLERANCE_M2)
    balance_tolerance_pct: float = field(
        default_factory=lambda: settings.PLANNING_QA_BALANCE_TOLERANCE_PCT
    )

    def rows(self, sql: str, params: dict | None = None) -> list[tuple]:
        """Run a rule's query (a constant string using the CTEs f, lots, b; values bound)."""
        from planning.qa.rules.sql import COMMON_CTES

        values = {"revision": self.revision.pk, "tolerance": self.area_tolerance, **(params or {})}
        with connection.cursor() as cursor:
            cursor.execute(COMMON_CTES + sql, values)
            return cursor.fetchall()


REGISTRY: dict[str, Rule] = {}


def rule(code: str, message: str):
    def register(check: Callable[[Context], Iterable[Found]]):
        REGISTRY[code] = Rule(code, message, check)
        return check

    return register


@dataclass
class QAResult:
    errors: int
    warnings: int


@transaction.atomic
def run(revision: Revision) -> QAResult:
    """Re-run every rule: the revision's previous findings are replaced."""
    from planning.qa import rules  # noqa: F401  (registers the rules)

    # Simultaneous runs (a double click) take turns: the second replaces the first's
    # findings instead of adding its own beside rows its DELETE cannot see yet.
    Revision.objects.select_for_update().get(pk=revision.pk)
    context = Context(revision)
    with connection.cursor() as cursor:
        # A just-imported layer is unknown to the planner's statistics; without them the
        # self-joins of the topology rules do not use the spatial index (minutes, not seconds).
        cursor.execute("ANALYZE planning_feature")
    QAFinding.objects.filter(revision=revision).delete()
    findings = [
        QAFinding(
            revision=revision,
            rule=code,
            severity=found.severity,
            params=found.params,
            geom=GEOSGeometry(memoryview(found.geom_ewkb)) if found.geom_ewkb else None,
            feature_id=found.feature_id,
        )
        for code, registered in REGISTRY.items()
        for found in registered.check(context)
    ]
    QAFinding.objects.bulk_create(findings)
    errors = sum(1 for f in findings if f.severity == ERROR)
    return QAResult(errors=errors, warnings=len(findings) - errors)


def message_of(finding: QAFinding) -> str:
    """The finding's message in the active language."""
    from django.utils.translation import gettext

    from planning.qa import rules  # noqa: F401

    registered = REGISTRY.get(finding.rule)
    if registered is None:
        return finding.rule
    try:
        return gettext(registered.message) % finding.params
    except (KeyError, TypeError, ValueError):
        return gettext(registered.message)
