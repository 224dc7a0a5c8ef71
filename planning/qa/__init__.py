"""Automatic QA of a revision: one rule per module, registered here, run at submission.

A run records its time on the revision (`qa_checked_at`, `qa_current`); database triggers
mark the findings outdated when the content changes afterwards (migration 0010), so the
review page tells "not checked yet" and "checked before the last change" from "all passed".

A rule is a function `check(context) -> Iterable[Found]` decorated with `@rule(code,
message)`. Rules compute in PostGIS (set-based SQL with bound values), so they scale with the
plan, not with Python. Findings are stored with their geometry so the review page can zoom
to each; their message is rendered in the reader's language from the rule's template,
numbers in that language's separators (the stored params stay plain numbers).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.db import connection, transaction
from django.utils import formats, timezone

from planning.extent import storage_envelope_polygon
from planning.layer_names import shown_name
from planning.models import QAFinding, Revision
from planning.numbers import localized

ERROR, WARNING = QAFinding.Severity.ERROR, QAFinding.Severity.WARNING
# Characters of a text a finding keeps and shows (a lot code, a layer name): an imported
# attribute may be 10,000 characters long (PLANNING_MAX_ATTRIBUTE_CHARS), and a message
# naming such a lot would fill a page of the review list and of the dossier.
PARAM_CHARS = 200


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
    # Stored params -> params to show, in the active language (e.g. PostGIS's English words).
    display: Callable[[dict], dict] | None = None


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


def rule(code: str, message: str, display: Callable[[dict], dict] | None = None):
    def register(check: Callable[[Context], Iterable[Found]]):
        REGISTRY[code] = Rule(code, message, check, display)
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
    envelope = storage_envelope_polygon()
    findings = [
        QAFinding(
            revision=revision,
            rule=code,
            severity=found.severity,
            params=short_params(found.params),
            geom=_placeable(found.geom_ewkb, envelope),
            feature_id=found.feature_id,
        )
        for code, registered in REGISTRY.items()
        for found in registered.check(context)
    ]
    QAFinding.objects.bulk_create(findings)
    # Under the row lock taken above: a change made meanwhile waits for this transaction,
    # then its trigger (migration 0010) marks these findings outdated again.
    revision.qa_checked_at, revision.qa_current = timezone.now(), True
    Revision.objects.filter(pk=revision.pk).update(
        qa_checked_at=revision.qa_checked_at, qa_current=True
    )
    errors = sum(1 for f in findings if f.severity == ERROR)
    return QAResult(errors=errors, warnings=len(findings) - errors)


def _placeable(ewkb: bytes | None, envelope: GEOSGeometry) -> GEOSGeometry | None:
    """A finding's location clipped to Viet Nam (planning.extent): the findings are shown
    in lon/lat, and a feature stored far off before the import guard existed must not make
    that transformation fail for the whole list. None when nothing of it is inside."""
    if not ewkb:
        return None
    geom = GEOSGeometry(memoryview(ewkb))
    if envelope.contains(geom):
        return geom
    clipped = geom.intersection(envelope)
    return None if clipped.empty else clipped


NOT_CHECKED, OUTDATED, CURRENT = "not_checked", "outdated", "current"


def status_of(revision: Revision) -> str:
    """Whether the stored findings describe the revision: never checked, checked before its
    last change (features, layers or declared balance), or current."""
    if revision.qa_checked_at is None:
        return NOT_CHECKED
    return CURRENT if revision.qa_current else OUTDATED


def message_of(finding: QAFinding) -> str:
    """The finding's message in the active language."""
    from django.utils.translation import gettext

    from planning.qa import rules  # noqa: F401

    registered = REGISTRY.get(finding.rule)
    if registered is None:
        return finding.rule
    params = finding.params
    if isinstance(params, dict):  # also the findings stored before texts were cut
        params = short_params(params)
    if registered.display is not None and isinstance(params, dict):
        params = registered.display(params)
    if isinstance(params, dict) and isinstance(params.get("layer"), str):
        # A generated layer name ("lots – Lô đất…") with its kind label in the reader's language.
        params = {**params, "layer": shown_name(params["layer"])}
    try:
        return substitute(gettext(registered.message), params)
    except (KeyError, TypeError, ValueError):
        return gettext(registered.message)


def shortened(value: str, limit: int = PARAM_CHARS) -> str:
    """`value` cut to `limit` characters, the last of them an ellipsis."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


def short_params(params: dict) -> dict:
    """The parameters with every text cut to PARAM_CHARS, but a lot's source reference
    (planning.qa.lots reads the file and number from it; the column holds 500 at most)."""
    return {
        key: shortened(value) if isinstance(value, str) and not key.endswith("_source") else value
        for key, value in params.items()
    }


# One conversion of a message template: "%%" or "%(name)<flags><width>.<precision><type>".
_CONVERSION = re.compile(
    r"%(?:%|\((?P<name>\w+)\)(?P<flags>[-+ #0]*)(?P<width>\d*)"
    r"(?:\.(?P<precision>\d+))?(?P<type>[diouxXeEfFgGcrsa]))"
)


def substitute(template: str, params: dict) -> str:
    """`template % params`, but numbers written in the active language ("82,6 %" in
    Vietnamese): the stored params stay plain numbers, the reader's separators are applied
    here. Widths are ignored (no message aligns columns)."""

    def convert(match: re.Match) -> str:
        if match["name"] is None:
            return "%"
        value = params[match["name"]]
        if isinstance(value, bool) or not isinstance(value, int | float):
            return (match[0].replace(f"({match['name']})", "", 1)) % (value,)
        return _number(value, match["type"], match["precision"], "+" in match["flags"])

    return _CONVERSION.sub(convert, template)


def _number(value: float, kind: str, precision: str | None, signed: bool) -> str:
    if kind in "diu":
        text = localized(int(value), 0)
    elif kind in "fF":
        text = localized(value, 6 if precision is None else int(precision))
    elif kind == "s":
        text = str(value) if isinstance(value, int) else localized(value, None)  # ids stay
    else:  # exponents and hex: Python's digits, the language's decimal separator
        spec = f"%{'.' + precision if precision else ''}{kind}"
        text = (spec % value).replace(".", formats.get_format("DECIMAL_SEPARATOR"))
    return "+" + text if signed and not text.startswith("-") else text
