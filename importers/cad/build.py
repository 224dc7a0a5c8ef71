"""The features of one planning kind from the converted CAD items mapped to it.

Polygon kinds (lots, boundary, buildings) get closed entities and hatches as drawn, plus
faces polygonised from loose linework; a hatch that fills a lot already bounded by lines
is the same lot and is merged, not loaded twice. Lots take their attributes from the
labels inside them. Line kinds get lines (polygon outlines as lines), annotation gets the
texts as points, the other kinds keep geometry as drawn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import shapely
from django.utils.translation import gettext
from shapely.geometry.base import BaseGeometry

from importers import report as messages
from importers.cad import labels, polygons
from importers.cad.geometry import CadItem, map_rotation
from importers.loader import PlacementRefused
from planning.layer_kinds import get_kind


@dataclass
class CadFeature:
    geom: BaseGeometry  # 2D, source CRS
    geom_3d: BaseGeometry | None
    attributes: dict
    category: str
    source_ref: str


LIST_CAP = 1000
SAME_LOT = 0.9  # intersection over union above which a hatch is the lot it fills


def build_features(kind, items, texts, decoder, options, report, filename) -> list[CadFeature]:
    # A label is often among the items too: each entity once.
    _refuse_coordinates_that_are_no_numbers(
        list({id(i): i for i in [*items, *texts]}.values()), filename
    )
    family = get_kind(kind).geometry
    if kind == "landuse":
        chosen, labels_read = _lots_and_labels(kind, items, texts, decoder, options, report)
    elif kind == "annotation":
        chosen = [(i, i.geom, None) for i in items]
    elif family == "polygon":
        chosen = _polygons(kind, items, options, report)
    elif family == "line":
        chosen = _lines(items, report)
    else:
        chosen = [(i, i.geom, None) for i in items if not i.text]
    attributes = [_base(item, decoder) for item, _, _ in chosen]
    if kind == "landuse":
        _label(chosen, attributes, labels_read, report)
    elif kind == "roads":
        _name_roads([i for i in items if i.text], chosen, attributes, decoder, report)
    elif kind != "annotation" and family != "line":  # lines report their texts themselves
        for item in items:
            if item.text:
                _skip(report, item, messages.TEXT_NOT_KEPT())
    features = []
    flat = _flat(np.asarray([geom for _, geom, _ in chosen], dtype=object))
    for (item, _, geom_3d), geom, attrs in zip(chosen, flat, attributes, strict=True):
        ref = f"{filename}#{item.handle}" if item is not None else f"{filename}#polygonised"
        category = str(attrs.get("function", "")) if kind == "landuse" else ""
        features.append(CadFeature(geom, geom_3d, attrs, category, ref))
    return features


def _refuse_coordinates_that_are_no_numbers(items: list[CadItem], filename: str) -> None:
    """Refuse the drawing when an entity has a coordinate that is no finite number (NaN,
    1e999), as the loader refuses such features (loader.check_placement): snapping and
    polygonising cannot take them. A text or point at NaN arrives as an empty point."""
    geoms = np.asarray([item.geom for item in items], dtype=object)
    if not len(geoms):
        return
    present = ~shapely.is_missing(geoms)
    coords, owner = shapely.get_coordinates(geoms[present], return_index=True)
    bad = np.zeros(len(geoms), dtype=bool)
    bad_present = np.zeros(int(present.sum()), dtype=bool)
    bad_present[owner[~np.isfinite(coords).all(axis=1)]] = True
    points = shapely.get_type_id(geoms[present]) == shapely.GeometryType.POINT
    bad_present |= points & shapely.is_empty(geoms[present])
    bad[present] = bad_present
    if not bad.any():
        return
    refs = [f"{filename}#{items[i].handle}" for i in np.flatnonzero(bad)[:3].tolist()]
    count = int(bad.sum())
    raise PlacementRefused(
        gettext(
            "%(count)d entities have coordinates that are not numbers (%(examples)s): "
            "check the drawing. Nothing was imported."
        )
        % {"count": count, "examples": ", ".join(refs)},
        count=count,
        loaded=len(items),
        examples=refs,
    )


def _flat(geoms: np.ndarray) -> np.ndarray:
    """The geometries in 2D (only those with z are rebuilt)."""
    has_z = shapely.has_z(geoms)
    if has_z.any():
        geoms = geoms.copy()
        geoms[has_z] = shapely.force_2d(geoms[has_z])
    return geoms


def _base(item: CadItem | None, decoder) -> dict:
    if item is None:
        return {"cad_layer": "", "cad_type": "LINE"}
    attrs: dict = {"cad_layer": decoder.fix_name(item.layer), "cad_type": item.dxftype}
    if item.text:
        attrs["text"] = decoder.decode(item.text, item.style, item.fonts)
        if item.anchor:
            attrs["anchor"] = item.anchor  # how the map places the text (tiles.styles)
        if rotation := map_rotation(item.rotation):
            attrs["rotation"] = rotation  # how the map turns the text (tiles.styles)
    return attrs


def _polygons(kind, items, options, report):
    chosen: list[tuple[CadItem | None, BaseGeometry, BaseGeometry | None]] = []
    hatches, loose = [], []
    for item in items:
        if item.solid:
            if kind == "buildings":
                chosen.append((item, _footprint(item.geom), item.geom))
            else:
                _skip(report, item, messages.FACES_OFF_BUILDINGS())
        elif item.closed and item.dxftype == "HATCH":
            hatches.append(item)
        elif item.closed:
            chosen.append((item, item.geom, None))
        elif item.geom.geom_type in ("LineString", "MultiLineString"):
            loose.append(item)
        elif not item.text:
            _skip(report, item, messages.CANNOT_BOUND(type=item.geom.geom_type))
    faces, unclosed = polygons.polygonise(
        [i.geom for i in loose], [f"{i.layer}#{i.handle}" for i in loose], options.tolerances.snap
    )
    lines_by_face = _owner_of_faces(faces, loose)
    chosen.extend((owner, face, None) for face, owner in zip(faces, lines_by_face, strict=True))
    report.unclosed.extend(u.as_dict() for u in unclosed[:LIST_CAP])
    report.totals["unclosed"] += len(unclosed)
    chosen.extend(_new_hatches(hatches, [g for _, g, _ in chosen], report))
    return chosen


def _owner_of_faces(faces, loose):
    """The first line on each face boundary stands for the face (its layer and handle)."""
    if not faces or not loose:
        return [None] * len(faces)
    tree = shapely.STRtree(np.asarray([i.geom for i in loose], dtype=object))
    boundaries = shapely.boundary(np.asarray(faces, dtype=object))
    face_idx, line_idx = tree.query(boundaries, predicate="intersects")
    first = np.full(len(faces), len(loose))
    np.minimum.at(first, face_idx, line_idx)
    return [loose[int(i)] if i < len(loose) else None for i in first.tolist()]


def _new_hatches(hatches, existing, report):
    if not hatches:
        return []
    merged = np.zeros(len(hatches), dtype=bool)
    if existing:
        lots = np.asarray(existing, dtype=object)
        fills = np.asarray([item.geom for item in hatches], dtype=object)
        inner = shapely.point_on_surface(fills)  # the lot each hatch fills, if any
        hatch_idx, lot_idx = shapely.STRtree(lots).query(inner, predicate="within")
        same = _same_lot(fills[hatch_idx], lots[lot_idx])
        merged[hatch_idx[same]] = True
    if merged.any():
        report.notes.append(messages.HATCHES_MERGED(count=int(merged.sum())))
    return [(item, item.geom, None) for item, gone in zip(hatches, merged, strict=True) if not gone]


def _same_lot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per aligned pair: intersection over union at least SAME_LOT."""
    a, b = _valid(a), _valid(b)
    area_a, area_b = shapely.area(a), shapely.area(b)
    same = (area_a > 0) & _vertices_within(a, b, _bounded_shift(area_a, shapely.length(a)))
    rest = ~same
    common = shapely.area(shapely.intersection(a[rest], b[rest]))
    union = area_a[rest] + area_b[rest] - common
    iou = np.divide(common, union, out=np.zeros_like(common), where=union > 0)
    same[rest] = iou >= SAME_LOT
    return same


def _bounded_shift(area: np.ndarray, perimeter: np.ndarray) -> np.ndarray:
    """The vertex shift t that keeps IoU >= SAME_LOT without an overlay. When b's ring has
    a's vertices in cyclic order, each within t, moving each vertex of a straight to its
    counterpart never sweeps the boundary over a point farther than t from a's boundary, so
    a and b differ only inside the t-buffer of a's boundary, whose area is at most
    2 t perimeter + pi t^2; IoU >= 1 - that / area(a). t solves that bound = 1 - SAME_LOT."""
    allowed = (1 - SAME_LOT) * area
    return allowed / (np.sqrt(perimeter**2 + np.pi * allowed) + perimeter)  # no cancellation


MATCHED_VERTICES = 64  # rings with more vertices are judged by the overlay


def _vertices_within(a: np.ndarray, b: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Per pair of polygons without holes (the buffer bound counts one ring): b's vertices
    are a's, in cyclic order either way round, each within `shift`. Hatches drawn on their
    lot's outline, or on linework whose ends were snapped by a few centimetres."""
    within = np.zeros(len(a), dtype=bool)
    pairs = np.flatnonzero(_hole_free(a) & _hole_free(b))
    a, b, shift = a[pairs], b[pairs], shift[pairs]
    sizes = shapely.get_num_coordinates(a) - 1  # the closing vertex repeats the first
    alike = (sizes == shapely.get_num_coordinates(b) - 1) & (sizes <= MATCHED_VERTICES)
    for size in np.unique(sizes[alike]).tolist():
        group = np.flatnonzero(alike & (sizes == size))
        farthest = _best_match(_corners(a[group], size), _corners(b[group], size))
        within[pairs[group]] = farthest <= shift[group] ** 2
    return within


def _hole_free(geoms: np.ndarray) -> np.ndarray:
    return (shapely.get_type_id(geoms) == 3) & (shapely.get_num_interior_rings(geoms) == 0)


def _corners(polygons: np.ndarray, size: int) -> np.ndarray:
    """(polygons, size, 2) vertices of hole-free polygons, without the closing one."""
    return shapely.get_coordinates(polygons).reshape(len(polygons), size + 1, 2)[:, :size]


def _best_match(corners_a: np.ndarray, corners_b: np.ndarray) -> np.ndarray:
    """Per ring pair, the largest squared vertex distance under a cyclic correspondence
    (either direction) that starts b at its vertex nearest to a's first: one candidate per
    direction, so linear in the vertex count. Any correspondence proves the bound, so a
    poorer choice only sends the pair to the overlay."""
    rows = np.arange(len(corners_a))[:, None]
    size = corners_a.shape[1]
    start = ((corners_b - corners_a[:, :1]) ** 2).sum(axis=2).argmin(axis=1)[:, None]
    best = np.full(len(corners_a), np.inf)
    for step in (1, -1):
        order = (start + step * np.arange(size)) % size
        moved = corners_b[rows, order] - corners_a
        best = np.minimum(best, (moved**2).sum(axis=2).max(axis=1))
    return best


def _valid(geoms: np.ndarray) -> np.ndarray:
    broken = ~shapely.is_valid(geoms)
    if broken.any():
        geoms = geoms.copy()
        geoms[broken] = shapely.make_valid(geoms[broken])
    return geoms


def _footprint(solid: BaseGeometry) -> BaseGeometry:
    flat = shapely.make_valid(shapely.force_2d(solid))
    parts = [p for p in shapely.get_parts(flat) if p.geom_type == "Polygon" and p.area > 0]
    return shapely.union_all(parts) if parts else shapely.convex_hull(flat)


def _lines(items, report):
    chosen = []
    for item in items:
        geom = item.geom
        if item.text or item.solid:
            _skip(report, item, messages.NOT_ON_LINES())
        elif geom.geom_type in ("Polygon", "MultiPolygon"):
            chosen.append((item, geom.boundary, None))
        elif geom.geom_type in ("LineString", "MultiLineString"):
            chosen.append((item, geom, None))
        else:
            _skip(report, item, messages.TYPE_NOT_ON_LINES(type=geom.geom_type))
    return chosen


@dataclass
class _Labels:
    points: list[BaseGeometry]
    texts: list[str]  # decoded
    parser: labels.LabelParser
    parsed: list[dict]
    anchors: list[tuple[BaseGeometry, ...]]  # leader arrows per text (leaders.py)


def _lots_and_labels(kind, items, texts, decoder, options, report):
    return _polygons(kind, items, options, report), _read_labels(texts, decoder, options)


def _read_labels(texts, decoder, options) -> _Labels:
    decoded = [decoder.decode(t.text, t.style, t.fonts) for t in texts]
    parser = labels.LabelParser(options.functions)
    parsed = [parser.parse(text) for text in decoded]
    anchors = [t.anchors for t in texts]
    return _Labels([t.geom for t in texts], decoded, parser, parsed, anchors)


def _label(chosen, attributes, read: _Labels, report) -> None:
    lots = [geom for _, geom, _ in chosen]
    points, texts, facts, led = _placed(lots, read)
    parsed, issues = labels.assign(lots, points, texts, read.parser, facts)
    for attrs, found in zip(attributes, parsed, strict=True):
        attrs.update(found)
    report.label_issues.extend(issue.as_dict() for issue in issues[:LIST_CAP])
    report.totals["label_issues"] += len(issues)
    if read.parser.from_codes:
        report.notes.append(messages.FUNCTIONS_FROM_CODES(count=read.parser.from_codes))
    if led:
        report.notes.append(messages.LEADERS_PLACED(count=led))


def _placed(lots, read: _Labels) -> tuple[list, list[str], list[dict], int]:
    """Where each label is joined: a leader's label in every lot its arrows point into (one
    copy per arrow), or where it is written when they point into none (a note inside a lot
    whose leader points at a tree keeps its lot)."""
    if not any(read.anchors):
        return read.points, read.texts, read.parsed, 0
    tree = shapely.STRtree(np.asarray(lots, dtype=object))
    placed: list[tuple[BaseGeometry, str, dict]] = []
    led = 0
    for point, text, facts, anchors in zip(
        read.points, read.texts, read.parsed, read.anchors, strict=True
    ):
        inside = [at for arrow in anchors if (at := _pointed(tree, arrow)) is not None]
        placed.extend((at, text, facts) for at in inside or [point])
        led += bool(inside)
    points, texts, parsed = (list(column) for column in zip(*placed, strict=True))
    return points, texts, parsed, led


EDGE_REACH = 0.05  # metres past an arrow's tip that settle a tip snapped onto a lot's edge


def _pointed(tree: shapely.STRtree, arrow: BaseGeometry) -> BaseGeometry | None:
    """Where a leader's arrow (its last segment, or its tip) points into a lot: the tip when
    it lies in one, else a point just past it along the arrow (an arrow snapped onto the
    edge two lots share belongs to the lot it heads into); None when neither is in a lot."""
    coords = shapely.get_coordinates(arrow)
    tip = shapely.Point(coords[-1])
    if len(tree.query(tip, predicate="within")):
        return tip
    if len(coords) < 2:
        return None
    heading = coords[-1] - coords[-2]
    reach = min(EDGE_REACH, 0.01 * float(np.hypot(*heading)))
    past = shapely.Point(coords[-1] + heading / np.hypot(*heading) * reach)
    return past if len(tree.query(past, predicate="within")) else None


ROAD_NAME_REACH = 25.0  # metres: a road's name is written along it, inside its corridor
# How road names begin ("Đường Lê Lợi", "Quốc lộ 1A"): such a text wins over a nearer one.
ROAD_WORDS = ("đường", "phố", "tuyến", "quốc lộ", "tỉnh lộ", "đại lộ", "hẻm", "kiệt", "ngõ")
_NOT_A_NAME = ("mc ", "mc-", "mặt cắt", "km")  # cross-sections, chainages
_WORD = re.compile(r"[^\W\d_]{2,}")


def _road_name(text: str) -> str | None:
    """The text as a road's name, or None for what roads layers also carry: dimensions
    ("B=13.5m", "i=2%"), cross-sections ("MC 1-1"), chainages ("Km0+100"), elevations."""
    name = " ".join(text.split())
    if "=" in name or "%" in name or name.casefold().startswith(_NOT_A_NAME):
        return None
    return name if len(_WORD.findall(name)) >= 2 else None


def _name_roads(texts, chosen, attributes, decoder, report) -> None:
    """Each name written on a roads layer names the nearest road within ROAD_NAME_REACH (its
    `name`; a text starting like a road name wins, then the closest); a name near no road,
    a second name and the layer's other texts are reported skipped."""
    names = [_road_name(decoder.decode(t.text, t.style, t.fonts)) for t in texts]
    for item, name in zip(texts, names, strict=True):
        if name is None:
            _skip(report, item, messages.TEXT_NOT_KEPT())
    named_texts = [i for i, name in enumerate(names) if name is not None]
    roads = np.asarray([geom for _, geom, _ in chosen], dtype=object)
    nearest: list[tuple[bool, float, int, int]] = []  # (not a road word, distance, text, road)
    if len(roads) and named_texts:
        points = np.asarray([texts[i].geom for i in named_texts], dtype=object)
        pairs, distances = shapely.STRtree(roads).query_nearest(
            points, max_distance=ROAD_NAME_REACH, return_distance=True, all_matches=False
        )
        for at, road, distance in zip(*pairs.tolist(), distances.tolist(), strict=True):
            text = named_texts[at]
            plain = not str(names[text]).casefold().startswith(ROAD_WORDS)
            nearest.append((plain, distance, text, road))
    placed = set()
    for _plain, _distance, text, road in sorted(nearest):
        current = attributes[road].setdefault("name", names[text])
        if current != names[text]:
            _skip(report, texts[text], messages.SECOND_ROAD_NAME(name=current))
        placed.add(text)
    for text in named_texts:
        if text not in placed:
            _skip(report, texts[text], messages.NO_ROAD_NEAR(reach=f"{ROAD_NAME_REACH:g}"))


def _skip(report, item: CadItem, reason: str) -> None:
    report.totals["skipped"] += 1
    if len(report.skipped) < LIST_CAP:
        point = item.geom.representative_point() if item.geom is not None else None
        report.skipped.append(
            {
                "layer": item.layer,
                "type": item.dxftype,
                "handle": item.handle,
                "reason": reason,
                "location": (round(point.x, 3), round(point.y, 3)) if point else None,
            }
        )
