"""A draft's layers of the kinds an import loads: listed for the planner, and replaced when
asked ("replace the draft's layers of the kinds this import produces").

A new revision copies every layer of the plan it is based on; importing the corrected
drawing into it then doubles the lots, roads and red lines. With `replace_layers` the
import removes the draft's earlier layers of each kind it loaded, in the import's own
transaction (a failed, cancelled or killed import leaves them in place), through
planning.revision_edits.RemoveLayer, the path of the layer DELETE API: its permission
check, its clean-up of QA findings, comments and 3D envelopes, its `layer.remove` audit.

Only the kinds the import really loads count (a mapped kind whose layers yield no feature
replaces nothing), and `annotation` like any other kind once it is mapped; "ignore" loads
nothing and so replaces nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from planning.models import Layer, Revision
from planning.revision_edits import RemoveLayer


def same_kind_layers(revision: Revision, kinds: Iterable[str], *, besides=()) -> list[Layer]:
    """The revision's layers of these kinds, new ones (`besides`) left out."""
    return list(
        Layer.objects.filter(revision=revision, kind__in=set(kinds))
        .exclude(pk__in=[layer.pk for layer in besides])
        .order_by("kind", "id")
    )


def describe(revision: Revision, layers: list[Layer]) -> list[dict]:
    """{id, kind, name, feature_count, copied_from}: `copied_from` is the number of the
    revision the draft is based on when that revision has a layer of the same kind, name
    and source (what "New revision" copied), else null."""
    copied = _copied_keys(revision)
    return [
        {
            "id": layer.pk,
            "kind": layer.kind,
            "name": layer.shown_name,
            "feature_count": layer.feature_count,
            "copied_from": copied.get(_key(layer)),
        }
        for layer in layers
    ]


def replace(user, revision: Revision, new_layers: list[Layer], remote_addr=None) -> list[dict]:
    """Removes the revision's other layers of the new layers' kinds; what was removed.
    Runs inside the caller's transaction (RemoveLayer's own is a savepoint of it)."""
    old = same_kind_layers(revision, {layer.kind for layer in new_layers}, besides=new_layers)
    described = describe(revision, old)
    for layer in old:
        RemoveLayer(user=user, layer=layer, remote_addr=remote_addr).execute()
    return described


def reported(report: dict, revision: Revision, new_layers: list[Layer], replaced) -> dict:
    """The import's report with `replaced_layers` (what the import removed; `replaced` is
    None when it was not asked to) and `same_kind_layers` (earlier layers of the loaded
    kinds the draft keeps beside the new ones: the page lists them as likely duplicates).
    Both are data, not warnings: the page words them in the reader's language."""
    kinds = {layer.kind for layer in new_layers}
    kept = describe(revision, same_kind_layers(revision, kinds, besides=new_layers))
    return {**report, "replaced_layers": replaced or [], "same_kind_layers": kept}


def _copied_keys(revision: Revision) -> dict[tuple[str, str, str], int]:
    based_on = revision.based_on
    if based_on is None:
        return {}
    rows = Layer.objects.filter(revision=based_on).values_list("kind", "name", "source_name")
    return {(kind, name, source): based_on.number for kind, name, source in rows}


def _key(layer: Layer) -> tuple[str, str, str]:
    return (layer.kind, layer.name, layer.source_name)
