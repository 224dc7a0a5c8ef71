"""The style model: Mapnik XML that Mapnik loads, safe filters, legends."""

from __future__ import annotations

import json

import mapnik
import numpy as np
import pytest
from lxml import etree

from planning.layer_kinds import KINDS
from tiles import styles


def _categories() -> list[styles.Category]:
    return [
        styles.Category("DO", "#FFD37F", "Đất ở mới", "New residential land"),
        styles.Category("CX", "#7fc97f", "Đất cây xanh", "Green space"),
        styles.Category("X' or 1=1 --", "#000000", "evil", "evil"),
        styles.Category("BAD", "red", "no hex colour", "no hex colour"),
    ]


def _xml(kinds=tuple(KINDS)) -> str:
    model = styles.build_styles(_categories(), "en")
    point = '{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[0,0]}}'
    params = {"type": "geojson", "inline": f'{{"type":"FeatureCollection","features":[{point}]}}'}
    return styles.mapnik_xml(
        model, kinds, map_srs="epsg:3857", layer_srs="epsg:4326", datasource=lambda kind: params
    )


def test_every_kind_has_a_style_in_draw_order():
    model = styles.build_styles(_categories())
    assert set(model) == set(KINDS)
    orders = [s.draw_order for s in model.values()]
    assert orders == sorted(orders)


def test_mapnik_loads_the_generated_xml():
    m = mapnik.Map(256, 256)
    mapnik.load_map_from_string(m, _xml())
    assert next(layer.name for layer in m.layers) == "landuse"
    assert len(m.layers) == len(KINDS)


def test_only_safe_category_codes_and_colours_reach_filters():
    root = etree.fromstring(_xml(("landuse",)))
    filters = [f.text for f in root.iter("Filter")]
    assert filters == ["([category] = 'DO')", "([category] = 'CX')"]
    assert root.find(".//ElseFilter") is not None
    fills = [p.get("fill") for p in root.iter("PolygonSymbolizer")]
    assert fills == ["#FFD37F", "#7FC97F", styles.UNKNOWN_COLOUR]


def test_datasource_values_are_escaped_by_lxml():
    model = styles.build_styles([])
    xml = styles.mapnik_xml(
        model,
        ["boundary"],
        map_srs="epsg:3857",
        layer_srs="epsg:9214",
        datasource=lambda kind: {"password": 'a"<b>&c'},
    )
    root = etree.fromstring(xml)
    assert root.find(".//Parameter[@name='password']").text == 'a"<b>&c'


def test_legend_lists_used_categories_and_other():
    model = styles.build_styles(_categories(), "en")
    entries = styles.legend(model, ["landuse"], used_categories={"DO", "ZZ"})
    assert entries == [
        {"label": "DO – New residential land", "colour": "#FFD37F", "kind": "landuse"},
        {"label": "Other", "colour": styles.UNKNOWN_COLOUR, "kind": "landuse"},
    ]
    full = styles.legend(model, ["landuse", "redlines"])
    assert [e["kind"] for e in full] == ["landuse", "landuse", "landuse", "redlines"]


@pytest.mark.django_db
def test_catalogue_colours_come_from_the_database():
    model = styles.load_styles("vi")
    fills = {r.category: r.symbol.fill for r in model["landuse"].rules}
    assert fills["DO"] == "#FFD37F"
    assert fills["GD"] == "#FF9ECF"


def test_rendering_errors_do_not_reveal_the_database(db):
    """Mapnik's own message names host, user and SQL; clients must get a generic one."""
    from mapproxy.query import MapQuery
    from mapproxy.source import SourceError
    from mapproxy.srs import SRS

    from tiles.mapnik_source import PlanningMapnikSource

    xml = (
        '<Map srs="epsg:3857"><Style name="s"><Rule><PolygonSymbolizer fill="#ff0000"/></Rule>'
        '</Style><Layer name="l" srs="epsg:3857"><StyleName>s</StyleName><Datasource>'
        '<Parameter name="type">postgis</Parameter><Parameter name="dbname">no_such_db_secret</Parameter>'
        '<Parameter name="table">(SELECT 1) AS t</Parameter><Parameter name="geometry_field">geom</Parameter>'
        '<Parameter name="extent">0,0,1,1</Parameter></Datasource></Layer></Map>'
    )
    source = PlanningMapnikSource(xml)
    query = MapQuery((0, 0, 1000, 1000), (256, 256), SRS(3857), "image/png")
    with pytest.raises(SourceError) as caught:
        source.get_map(query)
    assert "no_such_db_secret" not in str(caught.value)
    assert "could not be rendered" in str(caught.value)


def _text_pixels(anchor: str | None) -> dict[str, int]:
    """Painted pixels per quadrant around a text's point, as Mapnik draws the annotation."""
    properties = {"label": "WWWWWWWW", **({"anchor": anchor} if anchor else {})}
    return _quadrants(_painted(properties))


def _quadrants(painted: np.ndarray) -> dict[str, int]:
    return {
        "above_left": int(painted[:99, :99].sum()),
        "above_right": int(painted[:99, 101:].sum()),
        "below_left": int(painted[101:, :99].sum()),
        "below_right": int(painted[101:, 101:].sum()),
    }


def _painted(properties: dict) -> np.ndarray:
    """Where Mapnik paints an annotation text with these properties: 200 × 200 pixels, one
    per map unit, the text's point at the centre, north up."""
    feature = {"type": "Feature", "properties": properties}
    feature["geometry"] = {"type": "Point", "coordinates": [0, 0]}
    inline = json.dumps({"type": "FeatureCollection", "features": [feature]})
    model = styles.build_styles(_categories(), "en")
    xml = styles.mapnik_xml(
        model,
        ("annotation",),
        map_srs="epsg:3857",
        layer_srs="epsg:3857",
        datasource=lambda kind: {"type": "geojson", "inline": inline},
    )
    m = mapnik.Map(200, 200)
    mapnik.load_map_from_string(m, xml)
    m.zoom_to_box(mapnik.Box2d(-100, -100, 100, 100))
    image = mapnik.Image(200, 200)
    mapnik.render(m, image)
    return np.frombuffer(image.to_string(), dtype=np.uint8).reshape(200, 200, 4)[..., 3] > 128


@pytest.mark.parametrize(
    ("anchor", "quadrant"),
    [("top_left", "below_right"), ("bottom_right", "above_left"), ("bottom_left", "above_right")],
)
def test_a_text_is_drawn_where_its_anchor_puts_it(anchor, quadrant):
    """A CAD text whose top left is on its point (MTEXT's default) reads right of and below
    the point, as in the drawing, not centred on it."""
    counts = _text_pixels(anchor)
    assert counts[quadrant] > 0
    assert sum(counts.values()) - counts[quadrant] < counts[quadrant] / 10, counts


def test_a_text_without_anchor_is_centred_on_its_point():
    counts = _text_pixels("middle_center")
    assert min(counts.values()) > 0, counts  # in all four quadrants
    styled = etree.fromstring(_xml(("annotation",)).encode())
    texts = styled.findall(".//TextSymbolizer")
    assert len(texts) == 9  # one rule per anchor
    assert {(t.get("horizontal-alignment"), t.get("vertical-alignment")) for t in texts} == {
        (h, v) for h in ("left", "middle", "right") for v in ("top", "middle", "bottom")
    }


def test_a_text_turned_a_quarter_is_drawn_up_from_its_point():
    """A long road name along a north-south street (rotation 90: degrees counter-clockwise,
    as drawn) reads upwards: taller than wide, up from its point (its bottom left), its top
    facing west. Mapnik's orientation turns counter-clockwise on the map, as CAD does."""
    label = "WWWWWWWW"
    properties = {"label": label, "anchor": "bottom_left", "rotation": 90.0}
    rows, columns = np.nonzero(_painted(properties))
    height, width = np.ptp(rows) + 1, np.ptp(columns) + 1
    assert height > 4 * width, (height, width)
    assert 90 < rows.max() <= 101  # above the point (row 100), starting at it
    assert columns.max() <= 101  # the text's top to the west: turned left, not right
    level = np.nonzero(_painted({"label": label, "anchor": "bottom_left"}))
    assert np.ptp(level[1]) > 4 * np.ptp(level[0])  # without rotation: level


@pytest.mark.parametrize(
    ("rotation", "quadrant"), [(-30, "below_right"), (150, "above_left"), (-150, "below_left")]
)
def test_a_text_turns_counter_clockwise_about_its_anchor(rotation, quadrant):
    """A text written from its point (bottom left) turned 150° reads up and to the left."""
    properties = {"label": "WWWWWWWW", "anchor": "bottom_left", "rotation": rotation}
    counts = _quadrants(_painted(properties))
    assert sum(counts.values()) - counts[quadrant] < counts[quadrant] / 10, counts


def test_text_rules_turn_by_the_rotation_column():
    styled = etree.fromstring(_xml(("annotation",)).encode())
    texts = styled.findall(".//TextSymbolizer")
    assert {(t.get("orientation"), t.get("rotate-displacement")) for t in texts} == {
        ("[rotation]", "true")
    }
