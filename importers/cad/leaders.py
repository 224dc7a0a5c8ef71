"""Leaders: a label drawn beside a lot too small for it, with an arrow into the lot.

A MULTILEADER carries its text and its arrows (geometry.py reads both into one item). A
classic LEADER is a separate entity that names the MTEXT or block reference it leads from (group code 340):
`link` gives that text the LEADER's arrow as an anchor and drops the LEADER item. Labels
are then joined to lots by their anchors instead of their own position (build.py), while
an annotation layer keeps each text where it is written. A LEADER whose text is not among
the items (on an ignored layer, a block, a tolerance) is reported as before: not
converted, when its own layer is wanted; a LEADER on an ignored layer is left out silently.
"""

from __future__ import annotations

from collections.abc import Callable

import shapely

from importers import report as messages
from importers.cad.geometry import CadItem, Skipped

_LED_FROM = {"MTEXT", "ATTRIB"}  # a LEADER's text: an MTEXT, or a block's attributes


def link(
    items: list[CadItem], accept: Callable[[str], bool]
) -> tuple[list[CadItem], list[Skipped]]:
    """The items without LEADERs, their texts anchored, and the LEADERs that lead nowhere
    on a wanted layer, as the Walker reports an entity it does not convert."""
    leaders = [item for item in items if item.dxftype == "LEADER"]
    if not leaders:
        return items, []
    texts: dict[str, list[CadItem]] = {}
    for item in items:
        if item.text and item.dxftype in _LED_FROM:
            texts.setdefault(item.handle, []).append(item)
    unlinked: list[Skipped] = []
    for leader in leaders:
        for text in texts.get(leader.points_to, []):
            text.anchors = (*text.anchors, leader.geom)
        if leader.points_to not in texts and accept(leader.layer):
            arrow = shapely.get_coordinates(leader.geom)[-1]  # the tip
            where = (round(float(arrow[0]), 3), round(float(arrow[1]), 3))
            reason = messages.LEADER_TEXT_NOT_READ()
            unlinked.append(Skipped(leader.layer, "LEADER", leader.handle, reason, where))
    return [item for item in items if item.dxftype != "LEADER"], unlinked
