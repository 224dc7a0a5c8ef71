"""The map of a review dossier: a revision drawn over the plans in force around it.

The dossier is read by the revision's reviewers, so the revision's own features are
drawn whatever its state; underneath, faded, only the plans in force (never another
private revision). The map is rendered in the storage CRS itself (planar metres), so the
scale bar is exact and the image needs no reprojection. Styles come from the project's
style model (tiles.styles), so the dossier looks like every other map of the plan.
Mapnik takes its SQL as text, so querysets are bound by psycopg's client-side quoting.

Located review comments are drawn on top as numbered pins (`MapPin`: a badge at a point, an
outline plus the badge for lines and polygons), in the review page's pin colours. The map
grows to take them in, but only within `PIN_REACH` plan sizes of the plan: a comment pinned
farther away is left off the map (the dossier lists it "outside the map") rather than
shrinking the plan to a dot.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import mapnik
from django.conf import settings
from django.contrib.gis.db.models import Extent
from django.contrib.gis.geos import GEOSGeometry, LineString, Point
from django.db.models import QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from lxml import etree
from pyproj import CRS, Transformer

from planning.layer_kinds import KINDS
from planning.models import Comment, Feature, Revision
from planning.visibility import in_force_features
from tiles import datasource, styles
from tiles.mapnik_source import encoding_for
from tiles.wms_render import mapnik_table

Bbox = tuple[float, float, float, float]
MARGIN_RATIO = 0.12  # of the revision's extent, on every side
MIN_MARGIN_M = 25.0
UNDERLAY_OPACITY = "0.45"
_SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
# The review page's pin colours (webmap/frontend/src/review/styles.js), so a board member
# finds the same marks on paper as on screen.
PIN_COLOURS = {Comment.Status.OPEN.value: "#C8553D", Comment.Status.RESOLVED.value: "#7B8591"}
PIN_REACH = 2.0  # plan sizes around the plan within which comments widen the map
MIN_PLAN_SIZE_M = 100.0  # the size that reach is measured in, for a plan that is a point
PIN_BADGE_PX = 24  # diameter of a pin's numbered badge (12 pt on paper)
PIN_FONT = "DejaVu Sans Bold"


@dataclass(frozen=True)
class MapPin:
    """A located comment to draw, with the number the dossier's comments section gives it."""

    label: str
    geom: GEOSGeometry  # storage CRS
    status: str = Comment.Status.OPEN.value  # of its thread: the colour of the pin

    @property
    def anchor(self) -> Point:
        """Where the number goes: the point, a line's middle, a polygon's interior point."""
        if isinstance(self.geom, LineString):
            return self.geom.interpolate_normalized(0.5)
        return self.geom.point_on_surface


@dataclass(frozen=True)
class DossierMap:
    """A rendered map and what the page around it needs to explain it."""

    png: bytes
    bbox: Bbox  # the image's extent in the storage CRS (metres)
    width_px: int
    height_px: int
    legend: list[dict[str, str]]
    true_north_deg: float  # counter-clockwise from grid north (up)
    pins: tuple[str, ...] = ()  # labels of the pins drawn; the others lie outside the map

    @property
    def metres_per_pixel(self) -> float:
        return (self.bbox[2] - self.bbox[0]) / self.width_px


def revision_extent(revision: Revision) -> Bbox | None:
    """The extent of the revision's features, else of the project's boundary."""
    box = Feature.objects.filter(layer__revision=revision).aggregate(e=Extent("geom"))["e"]
    if box is None and revision.project.boundary is not None:
        box = revision.project.boundary.extent
    return tuple(box) if box is not None else None  # type: ignore[return-value]


def grown(box: Bbox, by: float) -> Bbox:
    return (box[0] - by, box[1] - by, box[2] + by, box[3] + by)


def contains(outer: Bbox, inner: Bbox) -> bool:
    return (
        outer[0] <= inner[0]
        and outer[1] <= inner[1]
        and inner[2] <= outer[2]
        and inner[3] <= outer[3]
    )


def extent_with_pins(plan: Bbox, pins: Sequence[MapPin]) -> Bbox:
    """`plan` grown to take in the pins within `PIN_REACH` plan sizes of it; farther pins
    do not count, so one stray comment cannot shrink the plan to a dot."""
    size = max(plan[2] - plan[0], plan[3] - plan[1], MIN_PLAN_SIZE_M)
    reach = grown(plan, PIN_REACH * size)
    boxes = [plan, *(b for b in (p.geom.extent for p in pins) if contains(reach, b))]
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def with_margin(box: Bbox, aspect: float) -> Bbox:
    """`box` grown by the margin and widened or heightened to the image's aspect (w/h)."""
    width, height = box[2] - box[0], box[3] - box[1]
    margin = max(MIN_MARGIN_M, MARGIN_RATIO * max(width, height))
    width, height = width + 2 * margin, height + 2 * margin
    if width / height < aspect:
        width = height * aspect
    else:
        height = width / aspect
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return (cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2)


def underlay_features(revision: Revision) -> QuerySet[Feature]:
    """The plans in force, without the revision itself (drawn on top instead)."""
    return in_force_features().exclude(layer__revision=revision)


def own_features(revision: Revision) -> QuerySet[Feature]:
    return Feature.objects.filter(layer__revision=revision)


def _document(features: QuerySet[Feature], kinds: tuple[str, ...], model: dict) -> etree._Element:
    """The Mapnik document of `kinds` of `features`, parsed for merging."""
    srs = datasource.srs_definition(settings.PLANNING_STORAGE_SRID)
    extent = datasource.vietnam_storage_extent(settings.PLANNING_STORAGE_SRID)
    db = datasource.connection_params()

    def params(kind: str) -> dict[str, str]:
        return {
            **datasource.datasource_params(kind, extent, db),
            "table": mapnik_table(features, kind),
        }

    xml = styles.mapnik_xml(model, kinds, map_srs=srs, layer_srs=srs, datasource=params)
    return etree.fromstring(xml.encode("utf-8"), _SAFE_XML)


def map_xml(revision: Revision, model: dict, pins: Sequence[MapPin] = ()) -> str:
    """The plans in force (faded, styles renamed `inforce-<kind>`) under the revision, and
    the pins on top."""
    kinds = tuple(KINDS)
    root = _document(underlay_features(revision), kinds, model)
    for style in root.iter("Style"):
        style.set("name", f"inforce-{style.get('name')}")
        style.set("opacity", UNDERLAY_OPACITY)
    for name in root.iter("StyleName"):
        name.text = f"inforce-{name.text}"
    top = _document(own_features(revision), kinds, model)
    styles_on_top = [e for e in top if e.tag == "Style"]
    layers_on_top = [e for e in top if e.tag == "Layer"]
    first_layer = next((i for i, e in enumerate(root) if e.tag == "Layer"), len(root))
    for offset, style in enumerate(styles_on_top):
        root.insert(first_layer + offset, style)
    root.extend(layers_on_top)
    root.extend(pin_elements(pins) if pins else [])
    return etree.tostring(root, encoding="unicode")


# --- comment pins ---------------------------------------------------------------------------


def _pin_rules(symbolizers: Callable[[str], list[etree._Element]]) -> list[etree._Element]:
    """One rule per status, each drawing `symbolizers(colour)`."""
    rules = []
    for status, colour in PIN_COLOURS.items():
        rule = etree.Element("Rule")
        etree.SubElement(rule, "Filter").text = f"[status] = '{status}'"
        rule.extend(symbolizers(colour))
        rules.append(rule)
    return rules


def _outline(colour: str) -> list[etree._Element]:
    # A white casing keeps the outline readable over any land-use colour.
    casing = {"stroke": "#FFFFFF", "stroke-width": "5", "stroke-linejoin": "round"}
    line = {"stroke": colour, "stroke-width": "3", "stroke-linejoin": "round"}
    return [etree.Element("LineSymbolizer", **casing), etree.Element("LineSymbolizer", **line)]


def _badge(colour: str) -> list[etree._Element]:
    common = {"allow-overlap": "true", "ignore-placement": "true"}
    marker = etree.Element(
        "MarkersSymbolizer",
        fill=colour,
        stroke="#FFFFFF",
        width="[width]",
        height=str(PIN_BADGE_PX),
        **{"stroke-width": "2", **common},
    )
    number = etree.Element(
        "TextSymbolizer",
        size="12",
        fill="#FFFFFF",
        placement="point",
        **{"face-name": PIN_FONT, "vertical-alignment": "middle", **common},
    )
    number.text = "[label]"
    return [marker, number]


def _inline_layer(name: str, features: list[dict]) -> etree._Element:
    srs = datasource.srs_definition(settings.PLANNING_STORAGE_SRID)
    layer = etree.Element("Layer", name=name, srs=srs)
    etree.SubElement(layer, "StyleName").text = name
    source = etree.SubElement(layer, "Datasource")
    etree.SubElement(source, "Parameter", name="type").text = "geojson"
    collection = {"type": "FeatureCollection", "features": features}
    etree.SubElement(source, "Parameter", name="inline").text = json.dumps(collection)
    return layer


def pin_elements(pins: Sequence[MapPin]) -> list[etree._Element]:
    """Styles and layers drawing `pins`: outlines of lines and polygons, then the numbered
    badges. Labels are the dossier's own numbers, never user text."""
    outlines = [
        {"type": "Feature", "geometry": json.loads(p.geom.json), "properties": {"status": p.status}}
        for p in pins
        if p.geom.geom_type not in ("Point", "MultiPoint")
    ]
    badges = [
        {
            "type": "Feature",
            "geometry": json.loads(p.anchor.json),
            "properties": {
                "status": p.status,
                "label": p.label,
                "width": max(PIN_BADGE_PX, 8 * len(p.label) + 6),  # "12.3" needs more room
            },
        }
        for p in pins
    ]
    layers = (("comment-outlines", _outline, outlines), ("comment-badges", _badge, badges))
    elements = []
    for name, symbolizers, features in layers:
        if features:
            style = etree.Element("Style", name=name)
            style.extend(_pin_rules(symbolizers))
            elements += [style, _inline_layer(name, features)]
    return elements


def pin_legend(pins: Sequence[MapPin]) -> list[dict[str, str]]:
    """A legend entry per pin colour on the map."""
    present = {p.status for p in pins}
    return [
        {
            "label": _("Comment pin (%(status)s)") % {"status": Comment.Status(status).label},
            "colour": colour,
            "kind": "comment",
        }
        for status, colour in PIN_COLOURS.items()
        if status in present
    ]


def categories_in(revision: Revision, bbox: Bbox) -> set[str]:
    """Land-use codes drawn in `bbox`: the revision's and the plans in force there."""
    from django.contrib.gis.geos import Polygon

    area = Polygon.from_bbox(bbox)
    area.srid = settings.PLANNING_STORAGE_SRID
    drawn = own_features(revision) | underlay_features(revision).filter(geom__bboverlaps=area)
    return set(drawn.filter(layer__kind="landuse").values_list("category", flat=True).distinct())


def kinds_in(revision: Revision, bbox: Bbox) -> list[str]:
    from django.contrib.gis.geos import Polygon

    area = Polygon.from_bbox(bbox)
    area.srid = settings.PLANNING_STORAGE_SRID
    drawn = own_features(revision) | underlay_features(revision).filter(geom__bboverlaps=area)
    present = set(drawn.values_list("layer__kind", flat=True).distinct())
    return [k for k in KINDS if k in present]


def true_north_angle(bbox: Bbox) -> float:
    """Degrees, counter-clockwise, from grid north (up on the map) to true north at the
    map's centre: the meridian through the centre, followed a little way north."""
    crs = CRS.from_user_input(datasource.srs_definition(settings.PLANNING_STORAGE_SRID))
    if not crs.is_projected:
        return 0.0
    to_geographic = Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)
    to_grid = Transformer.from_crs(crs.geodetic_crs, crs, always_xy=True)
    x0, y0 = (bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2
    lon, lat = to_geographic.transform(x0, y0)
    x1, y1 = to_grid.transform(lon, lat + 0.01)
    angle = math.degrees(math.atan2(-(x1 - x0), y1 - y0))
    return angle if math.isfinite(angle) else 0.0


def render_map(
    revision: Revision, width_px: int, height_px: int, pins: Sequence[MapPin] = ()
) -> DossierMap | None:
    """The revision's map with `pins`, or None when it has nothing to place on a map. A pin
    is drawn when its number falls on the map (DossierMap.pins)."""
    extent = revision_extent(revision)
    if extent is None:
        return None
    box = with_margin(extent_with_pins(extent, pins), width_px / height_px)
    on_map = [p for p in pins if contains(box, p.anchor.extent)]
    model = styles.load_styles(get_language() or "vi")
    m = mapnik.Map(width_px, height_px)
    mapnik.load_map_from_string(m, map_xml(revision, model, on_map))
    m.srs = datasource.srs_definition(settings.PLANNING_STORAGE_SRID)
    m.background = mapnik.Color("#FFFFFF")
    m.zoom_to_box(mapnik.Box2d(*box))
    envelope = m.envelope()
    bbox = (envelope.minx, envelope.miny, envelope.maxx, envelope.maxy)
    image = mapnik.Image(width_px, height_px)
    mapnik.render(m, image)
    legend = styles.legend(model, kinds_in(revision, bbox), categories_in(revision, bbox))
    return DossierMap(
        png=image.to_string(encoding_for("png")),
        bbox=bbox,
        width_px=width_px,
        height_px=height_px,
        legend=legend + pin_legend(on_map),
        true_north_deg=true_north_angle(bbox),
        pins=tuple(p.label for p in on_map),
    )


def round_distance(max_metres: float) -> float:
    """The largest 1, 2 or 5 × 10^n metres not longer than `max_metres` (scale bars)."""
    if max_metres <= 0 or not math.isfinite(max_metres):
        raise ValueError("a scale bar needs a positive length")
    power = 10 ** math.floor(math.log10(max_metres))
    for step in (5, 2, 1):
        if step * power <= max_metres:
            return float(step * power)
    return float(power)
