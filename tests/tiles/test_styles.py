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
    painted = np.frombuffer(image.to_string(), dtype=np.uint8).reshape(200, 200, 4)[..., 3] > 128
    return {
        "above_left": int(painted[:99, :99].sum()),
        "above_right": int(painted[:99, 101:].sum()),
        "below_left": int(painted[101:, :99].sum()),
        "below_right": int(painted[101:, 101:].sum()),
    }


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
