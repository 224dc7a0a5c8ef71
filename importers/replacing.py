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
nothing and so replaces nothing. The page sends the ids of the layers it listed
(`replace_layer_ids`): a layer added to the draft after the planner looked (a colleague's
import) is kept, not removed unseen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from planning.models import Layer, Revision
from planning.revision_edits import RemoveLayer


@dataclass(frozen=True)
class Replacement:
    """An import's request to replace: `layer_ids` None replaces every earlier layer of the
    loaded kinds (API clients that send `replace_layers` alone), else only those of them
    whose ids are listed (what the page showed the planner)."""

    layer_ids: frozenset[int] | None = None

    def covers(self, layer: Layer) -> bool:
        return self.layer_ids is None or layer.pk in self.layer_ids


def asked(replace_layers: bool, layer_ids: Iterable[int] | None = None) -> Replacement | None:
    """The replacement an import was asked for; None: none (ids alone ask for nothing)."""
    if not replace_layers:
        return None
    return Replacement(None if layer_ids is None else frozenset(int(pk) for pk in layer_ids))


def same_kind_layers(revision: Revision, kinds: Iterable[str], *, besides=()) -> list[Layer]:
    """The revision's layers of these kinds, new ones (`besides`) left out."""
    return list(
        Layer.objects.filter(revision=revision, kind__in=set(kinds))
        .exclude(pk__in=[layer.pk for layer in besides])
        .order_by("kind", "id")
    )


def describe(layers: list[Layer]) -> list[dict]:
    """{id, kind, name, feature_count, copied_from}: `copied_from` is the number of the
    revision of the layer "New revision" copied this one from (Layer.copied_from), null for
    a layer imported or drawn into its draft (and for copies made before that was kept)."""
    numbers = _source_revision_numbers(layers)
    return [
        {
            "id": layer.pk,
            "kind": layer.kind,
            "name": layer.shown_name,
            "feature_count": layer.feature_count,
            "copied_from": numbers.get(layer.copied_from_id or 0),  # ids start at 1
        }
        for layer in layers
    ]


def replace(
    user, revision: Revision, new_layers: list[Layer], replacement: Replacement, remote_addr=None
) -> list[dict]:
    """Removes the revision's other layers of the new layers' kinds that `replacement`
    covers; what was removed. Runs inside the caller's transaction (RemoveLayer's own is a
    savepoint of it)."""
    kinds = {layer.kind for layer in new_layers}
    old = [
        layer
        for layer in same_kind_layers(revision, kinds, besides=new_layers)
        if replacement.covers(layer)
    ]
    described = describe(old)
    for layer in old:
        RemoveLayer(user=user, layer=layer, remote_addr=remote_addr).execute()
    return described


def reported(report: dict, revision: Revision, new_layers: list[Layer], replaced) -> dict:
    """The import's report with `replaced_layers` (what the import removed; `replaced` is
    None when it was not asked to) and `same_kind_layers` (earlier layers of the loaded
    kinds the draft keeps beside the new ones: the page lists them as likely duplicates).
    Both are data, not warnings: the page words them in the reader's language."""
    kinds = {layer.kind for layer in new_layers}
    kept = describe(same_kind_layers(revision, kinds, besides=new_layers))
    return {**report, "replaced_layers": replaced or [], "same_kind_layers": kept}


def _source_revision_numbers(layers: list[Layer]) -> dict[int, int]:
    """The revision number of each layer these layers were copied from, by its id."""
    sources = {layer.copied_from_id for layer in layers if layer.copied_from_id is not None}
    if not sources:
        return {}
    rows = Layer.objects.filter(pk__in=sources).values_list("pk", "revision__number")
    return dict(rows)
