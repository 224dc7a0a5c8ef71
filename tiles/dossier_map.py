"""The map of a review dossier: a revision drawn over the plans in force around it.

The dossier is read by the revision's reviewers, so the revision's own features are
drawn whatever its state; underneath, faded, only the plans in force (never another
private revision). The map is rendered in the storage CRS itself (planar metres), so the
scale bar is exact and the image needs no reprojection. Styles come from the project's
style model (tiles.styles), so the dossier looks like every other map of the plan.
Mapnik takes its SQL as text, so querysets are bound by psycopg's client-side quoting.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import mapnik
from django.conf import settings
from django.contrib.gis.db.models import Extent
from django.db.models import QuerySet
from django.utils.translation import get_language
from lxml import etree
from pyproj import CRS, Transformer

from planning.layer_kinds import KINDS
from planning.models import Feature, Revision
from planning.visibility import in_force_features
from tiles import datasource, styles
from tiles.mapnik_source import encoding_for
from tiles.wms_render import mapnik_table

Bbox = tuple[float, float, float, float]
MARGIN_RATIO = 0.12  # of the revision's extent, on every side
MIN_MARGIN_M = 25.0
UNDERLAY_OPACITY = "0.45"
_SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


@dataclass(frozen=True)
class DossierMap:
    """A rendered map and what the page around it needs to explain it."""

    png: bytes
    bbox: Bbox  # the image's extent in the storage CRS (metres)
    width_px: int
    height_px: int
    legend: list[dict[str, str]]
    true_north_deg: float  # counter-clockwise from grid north (up)

    @property
    def metres_per_pixel(self) -> float:
        return (self.bbox[2] - self.bbox[0]) / self.width_px


def revision_extent(revision: Revision) -> Bbox | None:
    """The extent of the revision's features, else of the project's boundary."""
    box = Feature.objects.filter(layer__revision=revision).aggregate(e=Extent("geom"))["e"]
    if box is None and revision.project.boundary is not None:
        box = revision.project.boundary.extent
    return tuple(box) if box is not None else None  # type: ignore[return-value]


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


def map_xml(revision: Revision, model: dict) -> str:
    """The plans in force (faded, styles renamed `inforce-<kind>`) under the revision."""
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
    return etree.tostring(root, encoding="unicode")


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


def render_map(revision: Revision, width_px: int, height_px: int) -> DossierMap | None:
    """The revision's map, or None when it has nothing to place on a map."""
    extent = revision_extent(revision)
    if extent is None:
        return None
    model = styles.load_styles(get_language() or "vi")
    m = mapnik.Map(width_px, height_px)
    mapnik.load_map_from_string(m, map_xml(revision, model))
    m.srs = datasource.srs_definition(settings.PLANNING_STORAGE_SRID)
    m.background = mapnik.Color("#FFFFFF")
    m.zoom_to_box(mapnik.Box2d(*with_margin(extent, width_px / height_px)))
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
        legend=legend,
        true_north_deg=true_north_angle(bbox),
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
