"""DXF entities to shapely geometries in WCS, curves flattened within a tolerance.

Blocks are expanded with ezdxf's own virtual_entities (non-uniform scale, rotation, OCS),
MINSERT arrays cell by cell, to a bounded depth; entities drawn on layer "0" inside a
block take the layer of their INSERT, as AutoCAD draws them. Texts and block attributes
come out as labels, 3D faces and meshes as 3D polygons for a buildings layer, and every
entity that yields nothing is reported with its reason and location.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import shapely
from ezdxf import bbox
from ezdxf import path as ezpath
from ezdxf.entities import DXFGraphic, Insert
from ezdxf.entities.boundary_paths import PolylinePath
from ezdxf.math import OCS, Vec3
from ezdxf.render import MeshBuilder
from ezdxf.tools.text import fast_plain_mtext, plain_mtext, plain_text
from shapely.geometry.base import BaseGeometry

from importers import report as messages
from importers.cad.text import FontChanges, mark_fonts, unescape, unmark_fonts

_CURVES = {"LINE", "ARC", "CIRCLE", "ELLIPSE", "SPLINE", "LWPOLYLINE", "POLYLINE"}
_AREAS = {"SOLID", "TRACE"}
_FACES = {"3DFACE", "MESH"}
_TEXTS = {"TEXT", "MTEXT"}
_SPECIAL = {"%%c": "Ø", "%%d": "°", "%%p": "±"}
# entities a block expansion copies with their own layer (others, such as dimensions, ezdxf
# explodes into further entities)
_COPIED_AS_IS = _CURVES | _AREAS | _FACES | _TEXTS | {"HATCH", "POINT", "MTEXT", "ATTRIB"}
_MTEXT_MARKUP = re.compile(r"[\\{}^]|%%")  # formatting codes, groups, caret codes, specials


@dataclass
class CadItem:
    """One converted entity. `closed` marks area-forming geometry (polygon)."""

    layer: str
    dxftype: str
    handle: str
    geom: BaseGeometry | None = None
    closed: bool = False
    text: str | None = None  # labels: TEXT/MTEXT plain text, ATTRIB values
    style: str = ""
    fonts: FontChanges = ()  # where MTEXT switches fonts inside `text` (text.mark_fonts)
    tag: str = ""  # ATTRIB tag
    solid: bool = False  # 3D faces (geom is a MultiPolygon Z)
    anchor: str = ""  # where a text stands on its point ("top_left" ...: text_anchor)
    rotation: float = 0.0  # a text's direction: degrees counter-clockwise from WCS x
    # a label's leader arrows: it belongs to the lots they point into (leaders.py)
    anchors: tuple[BaseGeometry, ...] = ()
    points_to: str = ""  # a LEADER: the handle of the text it leads from


@dataclass
class Skipped:
    layer: str
    dxftype: str
    handle: str
    reason: str
    location: tuple[float, float] | None

    def as_dict(self) -> dict:
        return {
            "layer": self.layer,
            "type": self.dxftype,
            "handle": self.handle,
            "reason": self.reason,
            "location": self.location,
        }


@dataclass
class Walker:
    """Walks model space; `accept(layer)` tells which layers are wanted at all."""

    tolerance: float
    max_depth: int
    accept: Callable[[str], bool]
    skipped: list[Skipped] = field(default_factory=list)
    # block name -> whether expanding it on an unwanted layer can yield anything
    _yields_unwanted: dict[str, bool] = field(default_factory=dict, init=False, repr=False)

    def items(self, entities) -> Iterator[CadItem]:
        for entity in entities:
            yield from self._entity(entity, None, 0)

    def _entity(
        self, entity: DXFGraphic, parent: str | None, depth: int, owner: str = ""
    ) -> Iterator[CadItem]:
        """`owner`: the handle of the model-space INSERT an expanded entity comes from (block
        contents are virtual and have none), so that report entries and source references
        name something the planner can find in the drawing."""
        layer = entity.dxf.get("layer", "0")
        if parent is not None and layer == "0":
            layer = parent
        kind = entity.dxftype()
        if kind == "INSERT":
            yield from self._insert(entity, layer, depth, owner)  # type: ignore[arg-type]
            return
        if kind == "LEADER":
            yield from self._leader(entity, layer, owner)
            return
        if not self.accept(layer):
            return
        if kind == "MULTILEADER" and entity.context.block is not None:  # type: ignore[attr-defined]
            yield from self._balloon(entity, layer, owner)
            return
        try:
            item = convert(entity, layer, self.tolerance)
        except (ValueError, ArithmeticError, TypeError, AttributeError, IndexError) as exc:
            self.skip(entity, layer, messages.UNREADABLE(error=exc), owner)
            return
        if item is None:
            self.skip(entity, layer, messages.NOT_CONVERTED(type=kind), owner)
        elif item.geom is None or item.geom.is_empty:
            self.skip(entity, layer, messages.DEGENERATE(), owner)
        else:
            item.handle = item.handle or owner
            yield item

    def _insert(self, insert: Insert, layer: str, depth: int, owner: str) -> Iterator[CadItem]:
        owner = owner or insert.dxf.get("handle", "") or ""
        if depth >= self.max_depth:
            self.skip(insert, layer, messages.TOO_DEEP(depth=self.max_depth), owner)
            return
        if self.accept(layer):
            yield from _attribs(insert, layer, owner)
        elif not self.may_yield(insert.doc, insert.dxf.get("name", "")):
            return  # a tree symbol or title block on an ignored layer: nothing to expand
        cells = insert.multi_insert() if insert.mcount > 1 else [insert]
        for cell in cells:
            try:
                children = list(cell.virtual_entities())
            except (ValueError, ArithmeticError, KeyError, AttributeError) as exc:
                self.skip(insert, layer, messages.BLOCK_FAILED(error=exc), owner)
                return
            for child in children:
                yield from self._entity(child, layer, depth + 1, owner)

    def _leader(self, entity, layer: str, owner: str) -> Iterator[CadItem]:
        """A LEADER linked to a text, on any layer: the text it leads from may be wanted
        (leaders.py); one linked to none says so when its layer is wanted."""
        leader = _leader(entity, layer)
        if leader is not None:
            leader.handle = leader.handle or owner
            yield leader
        elif self.accept(layer):
            self.skip(entity, layer, messages.LEADER_WITHOUT_TEXT(), owner)

    def _balloon(self, entity, layer: str, owner: str) -> Iterator[CadItem]:
        try:
            labels = list(_balloon(entity, layer, owner))
        except (ValueError, ArithmeticError, TypeError, AttributeError, IndexError) as exc:
            self.skip(entity, layer, messages.UNREADABLE(error=exc), owner)
            return
        if not labels:  # a balloon without values: nothing to read
            self.skip(entity, layer, messages.BALLOON_WITHOUT_VALUES(), owner)
        yield from labels

    def may_yield(self, doc, name: str, path: tuple[str, ...] = ()) -> bool:
        """Whether the block, inserted on a layer that is not wanted, holds anything drawn
        on a wanted layer (its layer "0" entities take the unwanted one), at any depth. When
        unsure (a missing block, a cycle, entities that ezdxf explodes further) it says yes,
        and the block is expanded as always."""
        key = name.lower()  # ezdxf's block key: "STRAßE" and "STRASSE" are two blocks
        if key not in self._yields_unwanted:
            block = doc.blocks.get(name) if doc is not None else None
            if block is None or key in path:
                return True
            self._yields_unwanted[key] = any(
                self._entity_may_yield(doc, entity, (*path, key)) for entity in block
            )
        return self._yields_unwanted[key]

    def _entity_may_yield(self, doc, entity: DXFGraphic, path: tuple[str, ...]) -> bool:
        kind = entity.dxftype()
        if kind == "ATTDEF":
            return False  # never exploded: an INSERT's values come from its own ATTRIBs
        layer = entity.dxf.get("layer", "0")
        if layer != "0" and self.accept(layer):
            return True
        if kind == "INSERT":
            return self.may_yield(doc, entity.dxf.get("name", ""), path)
        return kind not in _COPIED_AS_IS

    def skip(self, entity: DXFGraphic, layer: str, reason: str, owner: str = "") -> None:
        handle = entity.dxf.get("handle", "") or owner
        self.skipped.append(Skipped(layer, entity.dxftype(), handle, reason, _where(entity)))


def _attribs(insert: Insert, layer: str, handle: str) -> Iterator[CadItem]:
    for attrib in insert.attribs:
        value = attrib.plain_text()
        if not value or attrib.is_invisible:
            continue
        point = attrib.ocs().to_wcs(attrib.dxf.insert)
        yield CadItem(
            layer,
            "ATTRIB",
            handle,
            shapely.Point(point.x, point.y),
            text=value,
            style=attrib.dxf.get("style", ""),
            tag=attrib.dxf.get("tag", ""),
            anchor=_anchor_of(attrib),
            rotation=text_rotation(attrib),
        )


# MTEXT's attachment point (1-9) and TEXT's alignment (group codes 72 and 73) as the place
# a text takes on its point, which the map's labels follow (tiles.styles).
MTEXT_ANCHORS = {
    1: "top_left",
    2: "top_center",
    3: "top_right",
    4: "middle_left",
    5: "middle_center",
    6: "middle_right",
    7: "bottom_left",
    8: "bottom_center",
    9: "bottom_right",
}
_TEXT_ROWS = {0: "bottom", 1: "bottom", 2: "middle", 3: "top"}  # baseline, bottom, middle, top
# left, center, right, aligned and fit (placed at their second point: the right end), middle
_TEXT_COLUMNS = {0: "left", 1: "center", 2: "right", 3: "right", 4: "center", 5: "right"}


def text_anchor(halign: int, valign: int) -> str:
    """A TEXT's or ATTRIB's place on its point, from its alignment."""
    if halign == 4:  # "middle": centred both ways
        return "middle_center"
    return f"{_TEXT_ROWS.get(valign, 'bottom')}_{_TEXT_COLUMNS.get(halign, 'left')}"


def mtext_anchor(attachment: int) -> str:
    return MTEXT_ANCHORS.get(attachment, "top_left")


def _anchor_of(entity) -> str:
    if entity.dxftype() == "MTEXT":
        return mtext_anchor(entity.dxf.get("attachment_point", 1))
    return text_anchor(entity.dxf.get("halign", 0), entity.dxf.get("valign", 0))


def text_rotation(entity) -> float:
    """The direction of a TEXT's, ATTRIB's or MTEXT's baseline in WCS: degrees counter-
    clockwise from the x axis. MTEXT's text direction (in WCS) wins over its rotation
    (ezdxf's MText.get_rotation). A rotation is in the plane of the entity's extrusion:
    (0, 0, -1), which a mirrored block gives its texts, has WCS -x as its x axis (ezdxf
    reads MTEXT's so too: get_text_direction). An upright entity keeps its angle as
    written, as the fast reader reads it (fastdxf, fastbulk)."""
    if entity.dxftype() == "MTEXT" and entity.dxf.hasattr("text_direction"):
        direction = entity.dxf.text_direction
        return direction_angle(direction.x, direction.y)
    rotation = float(entity.dxf.get("rotation", 0.0))
    if _upright(entity):
        return rotation
    direction = OCS(entity.dxf.extrusion).to_wcs(Vec3.from_deg_angle(rotation))
    return direction_angle(direction.x, direction.y)


def direction_angle(x: float, y: float) -> float:
    """Degrees counter-clockwise from the x axis of a direction vector (z ignored)."""
    return math.degrees(math.atan2(y, x))


def map_rotation(degrees: float) -> float:
    """A text's direction as the map takes it (the `rotation` attribute, tiles.styles):
    degrees counter-clockwise in (-180, 180] to 0.1° (finer than a drawing shows); 0 for
    level text and for an angle that is no number."""
    if not math.isfinite(degrees):
        return 0.0
    turned = round(degrees % 360.0, 1)
    if turned > 180.0:
        turned = round(turned - 360.0, 1)
    return turned + 0.0  # no -0.0


def _where(entity: DXFGraphic) -> tuple[float, float] | None:
    try:
        box = bbox.extents([entity], fast=True)
    except (ValueError, ArithmeticError, TypeError, AttributeError):
        return None
    if not box.has_data:
        return None
    centre = box.center
    return (round(centre.x, 3), round(centre.y, 3))


def convert(entity: Any, layer: str, tolerance: float) -> CadItem | None:
    """The item of one (non-INSERT) entity; None for types that are not converted."""
    kind = entity.dxftype()
    handle = entity.dxf.get("handle", "") or ""
    item = CadItem(layer, kind, handle)
    if kind == "POINT":
        location = entity.dxf.location
        item.geom = shapely.Point(location.x, location.y)
    elif kind in _TEXTS:
        item.text, item.fonts, item.geom = _text(entity)
        item.style = entity.dxf.get("style", "")
        item.anchor = _anchor_of(entity)
        item.rotation = text_rotation(entity)
    elif kind == "MULTILEADER":
        if not _multileader(entity, item):
            return None  # a block or nothing as its content
    elif kind == "HATCH":
        item.geom, item.closed = _hatch(entity, tolerance), True
    elif kind == "POLYLINE" and (entity.is_poly_face_mesh or entity.is_polygon_mesh):
        item.geom, item.solid = _mesh(MeshBuilder.from_polyface(entity)), True
    elif kind in _FACES:
        item.geom, item.solid = _faces(entity), True
    elif kind in _CURVES or kind in _AREAS:
        item.geom, item.closed = _curve(entity, tolerance)
    else:
        return None
    return item


def _text(entity) -> tuple[str, FontChanges, BaseGeometry]:
    fonts: FontChanges = ()
    if entity.dxftype() == "MTEXT":
        text, fonts = mtext_plain(entity.text)
        point = entity.dxf.insert
    else:
        text = entity.plain_text()
        aligned = entity.dxf.get("halign", 0) or entity.dxf.get("valign", 0)
        point = entity.dxf.get("align_point") if aligned else None
        point = entity.ocs().to_wcs(point or entity.dxf.insert)
    return text, fonts, shapely.Point(point.x, point.y)


def _leader(entity, layer: str) -> CadItem | None:
    """A LEADER that leads from a text: its arrow (the first vertex, in WCS), for
    leaders.link to give the text as an anchor; None for the others (not converted)."""
    text = entity.dxf.get("annotation_handle", "") or ""
    vertices = entity.vertices
    if not text or not vertices:
        return None
    arrow = _arrow(Vec3(vertices[0]), Vec3(vertices[1]) if len(vertices) > 1 else None)
    handle = entity.dxf.get("handle", "") or ""
    return CadItem(layer, "LEADER", handle, arrow, points_to=text)


def _multileader(entity, item: CadItem) -> bool:
    """A MULTILEADER with text: the text at its place, each leader line's arrow (its first
    vertex, in WCS) an anchor. False for one whose content is a block or nothing."""
    content = entity.context.mtext
    if content is None or not content.default_content:
        return False
    item.text, item.fonts = mtext_plain(content.default_content)
    item.geom = shapely.Point(content.insert.x, content.insert.y)
    item.style = _style_name(entity, content.style_handle, entity.dxf.get("text_style_handle"))
    item.anchors = _arrows(entity)
    return True


def _balloon(entity, layer: str, owner: str) -> Iterator[CadItem]:
    """A MULTILEADER whose content is a block (a lot-label balloon): one label per
    attribute value, at the block's place, anchored by the arrows, as an INSERT's ATTRIBs."""
    db = entity.doc.entitydb if entity.doc is not None else {}
    insert, anchors = entity.context.block.insert, _arrows(entity)
    handle = entity.dxf.get("handle", "") or owner
    for attrib in entity.block_attribs:
        value = plain_text(attrib.text or "")
        if not value:
            continue
        definition = db.get(attrib.handle)
        if definition is None or definition.dxftype() != "ATTDEF":
            definition = None
        elif definition.is_invisible:
            continue  # as an INSERT's invisible ATTRIBs: not shown, not read
        attdef = definition.dxf if definition is not None else {}
        yield CadItem(
            layer,
            "MULTILEADER",
            handle,
            shapely.Point(insert.x, insert.y),
            text=value,
            style=attdef.get("style", ""),
            tag=attdef.get("tag", ""),
            anchors=anchors,
        )


def _arrows(entity) -> tuple[BaseGeometry, ...]:
    """Where each leader line of a MULTILEADER points (its first vertex is the arrow's tip)."""
    return tuple(
        _arrow(Vec3(line.vertices[0]), Vec3((*line.vertices[1:], leader.last_leader_point)[0]))
        for leader in entity.context.leaders
        for line in leader.lines
        if line.vertices
    )


def _arrow(tip: Vec3, before: Vec3 | None) -> BaseGeometry:
    """A leader's arrow: its last segment up to the tip (where it points from), or the tip
    alone; build._placed joins the label at the tip, or just past it on a lot's edge."""
    if before is None or before.isclose(tip):
        return shapely.Point(tip.x, tip.y)
    return shapely.LineString([(before.x, before.y), (tip.x, tip.y)])


def _style_name(entity, *handles: str | None) -> str:
    """The name of the first handle that is a text style of the entity's document."""
    db = entity.doc.entitydb if entity.doc is not None else {}
    for handle in handles:
        style = db.get(handle) if handle else None
        if style is not None and style.dxftype() == "STYLE":
            return style.dxf.name
    return ""


def mtext_plain(raw: str) -> tuple[str, FontChanges]:
    """MTEXT content without formatting codes, AutoCAD's %% specials as characters, and
    where the fonts it names inline change (text.mark_fonts). AutoCAD's \\U+XXXX escapes
    are decoded first: ezdxf's plain-text pass would read \\U as a code running to the
    next ";" and drop the text between ("Đất ở\\P{\\H2x;A1}" became "A1")."""
    raw = unescape(raw)
    lines = raw.replace("\\P", "\n")
    if not _MTEXT_MARKUP.search(lines):  # the common label: plain lines, nothing to parse
        return lines, ()
    raw, fonts = mark_fonts(raw)
    text = str(fast_plain_mtext(raw) if "\\S" not in raw else plain_mtext(raw))
    for code, char in _SPECIAL.items():
        text = text.replace(code, char).replace(code.upper(), char)
    return unmark_fonts(text, fonts)


def _coords(path: ezpath.Path, tolerance: float) -> list[tuple[float, float]]:
    return [(v.x, v.y) for v in path.flattening(distance=tolerance, segments=4)]


def _curve(entity, tolerance: float) -> tuple[BaseGeometry | None, bool]:
    kind = entity.dxftype()
    if kind == "LINE":
        start, end = entity.dxf.start, entity.dxf.end
        return shapely.LineString([(start.x, start.y), (end.x, end.y)]), False
    if kind == "LWPOLYLINE" and _plain_lwpolyline(entity):
        points = [(x, y) for x, y in entity.get_points("xy")]
        return _line_or_ring(points, entity.closed)
    closed = _is_closed(entity)
    points = _coords(ezpath.make_path(entity), tolerance)
    if kind in _AREAS:
        closed = True
    return _line_or_ring(points, closed)


def _plain_lwpolyline(entity) -> bool:
    return _upright(entity) and not entity.has_arc


def _upright(entity) -> bool:
    """OCS is WCS: the entity's 2D coordinates are world coordinates."""
    extrusion = entity.dxf.get("extrusion")
    return extrusion is None or (abs(extrusion.x) + abs(extrusion.y) < 1e-12 and extrusion.z > 0)


def _is_closed(entity) -> bool:
    kind = entity.dxftype()
    if kind in ("LWPOLYLINE", "POLYLINE"):
        return bool(entity.is_closed)
    if kind == "CIRCLE":
        return True
    if kind == "ELLIPSE":
        span = (entity.dxf.end_param - entity.dxf.start_param) % math.tau
        return span < 1e-9
    if kind == "SPLINE":
        return bool(entity.closed) or _ends_meet(entity)
    return False


def _ends_meet(spline) -> bool:
    points = spline.control_points if spline.control_point_count() else spline.fit_points
    return len(points) > 2 and Vec3(points[0]).isclose(Vec3(points[-1]), abs_tol=1e-9)


def _line_or_ring(points: list[tuple[float, float]], closed: bool):
    # A ring with a coordinate that is no number cannot close (NaN != NaN, GEOS raises): it
    # stays a line, which the placement check refuses as any other such feature.
    if closed and len(points) >= 3 and all(map(math.isfinite, (c for p in points for c in p))):
        if points[0] != points[-1]:
            points = [*points, points[0]]
        if len(set(points)) >= 3:
            return shapely.Polygon(points), True
    if len(points) >= 2:
        return shapely.LineString(points), False
    return None, False


def _hatch(hatch, tolerance: float) -> BaseGeometry | None:
    """Even-odd fill of the boundary paths: nested paths become holes, as drawn."""
    return hatch_area(_hatch_rings(hatch, tolerance))


def hatch_area(rings: list[list[tuple[float, float]]]) -> BaseGeometry | None:
    """Even-odd fill of boundary rings (WCS point lists)."""
    if len(rings) == 1 and len(rings[0]) >= 3:  # the common case: one simple outline
        simple = shapely.Polygon(rings[0])
        if simple.is_valid and simple.area > 0:
            return simple
    area = None
    for points in rings:
        if len(points) < 3:
            continue
        ring = shapely.make_valid(shapely.Polygon(points))
        area = ring if area is None else shapely.symmetric_difference(area, ring)
    if area is None:
        return None
    polygons = [g for g in shapely.get_parts(area) if g.geom_type == "Polygon" and g.area > 0]
    return shapely.MultiPolygon(polygons) if len(polygons) > 1 else (polygons or [None])[0]


def _hatch_rings(hatch, tolerance: float) -> list[list[tuple[float, float]]]:
    """The boundary paths as point lists; straight polyline paths (nearly every hatch in a
    plan) are read directly, curved and edge paths are flattened by ezdxf."""
    return boundary_rings(
        hatch.paths.paths, _upright(hatch), hatch.ocs(), hatch.dxf.elevation.z, tolerance
    )


def boundary_rings(
    paths, upright: bool, ocs, elevation: float, tolerance: float
) -> list[list[tuple[float, float]]]:
    """Hatch boundary paths as WCS point lists (what ezpath.from_hatch yields, flattened)."""
    if upright and all(isinstance(path, PolylinePath) and not path.has_bulge() for path in paths):
        return [[(x, y) for x, y, *_ in path.vertices] for path in paths]
    rings: list[list[tuple[float, float]]] = []
    for boundary in paths:
        outline = ezpath.from_hatch_boundary_path(boundary, ocs, elevation=elevation)
        parts = outline.sub_paths() if outline.has_sub_paths else [outline]
        rings.extend(_coords(part, tolerance) for part in parts)
    return rings


def _faces(entity) -> BaseGeometry | None:
    if entity.dxftype() == "MESH":
        return _mesh(MeshBuilder.from_mesh(entity))
    vertices = [entity.dxf.get(f"vtx{i}") for i in range(4)]
    points = [(v.x, v.y, v.z) for v in vertices if v is not None]
    if len(points) == 4 and points[3] == points[2]:
        points = points[:3]
    return shapely.MultiPolygon([shapely.Polygon(points)]) if len(points) >= 3 else None


def _mesh(mesh: MeshBuilder) -> BaseGeometry | None:
    vertices = mesh.vertices
    faces = [[(vertices[i].x, vertices[i].y, vertices[i].z) for i in face] for face in mesh.faces]
    polygons = [shapely.Polygon(face) for face in faces if len(face) >= 3]
    return shapely.MultiPolygon(polygons) if polygons else None
