"""GetCapabilities for WFS 2.0.0 (OWS 1.1, FES 2.0) and 1.1.0 (OWS 1.0, Filter 1.1)."""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from planning.crs import offered_srids
from tiles.datasource import Bbox
from tiles.feature_types import FeatureType, extent_fallback, type_extent_wgs84
from tiles.params import Crs
from tiles.wfs.profiles import GEOJSON, NS, PREFIX, XLINK, XSI, Profile
from tiles.wfs.request import max_count

OPERATIONS = (
    "GetCapabilities",
    "DescribeFeatureType",
    "GetFeature",
    "GetPropertyValue",
    "ListStoredQueries",
    "DescribeStoredQueries",
)
COMPARISONS = (
    "PropertyIsEqualTo",
    "PropertyIsNotEqualTo",
    "PropertyIsLessThan",
    "PropertyIsGreaterThan",
    "PropertyIsLessThanOrEqualTo",
    "PropertyIsGreaterThanOrEqualTo",
    "PropertyIsLike",
    "PropertyIsNull",
    "PropertyIsBetween",
)
SPATIAL = (
    "BBOX",
    "Equals",
    "Disjoint",
    "Intersects",
    "Touches",
    "Crosses",
    "Within",
    "Contains",
    "Overlaps",
    "DWithin",
    "Beyond",
)
OPERANDS = (
    "gml:Envelope",
    "gml:Point",
    "gml:LineString",
    "gml:Polygon",
    "gml:MultiPoint",
    "gml:MultiCurve",
    "gml:MultiSurface",
)
# Filter 1.1's GeometryOperandType lists no multi-geometries: the simple ones it has
OPERANDS_V11 = ("gml:Envelope", "gml:Point", "gml:LineString", "gml:Polygon")
CONFORMANCE_TRUE = (
    "ImplementsSimpleWFS",
    "ImplementsBasicWFS",
    "KVPEncoding",
    "XMLEncoding",
    "ImplementsResultPaging",
)
CONFORMANCE_FALSE = (
    "ImplementsTransactionalWFS",
    "ImplementsLockingWFS",
    "SOAPEncoding",
    "ImplementsInheritance",
    "ImplementsRemoteResolve",
    "ImplementsStandardJoins",
    "ImplementsSpatialJoins",
    "ImplementsTemporalJoins",
    "ImplementsFeatureVersioning",
    "ManageStoredQueries",
)
FES_TRUE = (
    "ImplementsQuery",
    "ImplementsAdHocQuery",
    "ImplementsResourceId",
    "ImplementsMinStandardFilter",
    "ImplementsStandardFilter",
    "ImplementsMinSpatialFilter",
    "ImplementsSpatialFilter",
    "ImplementsSorting",
)
FES_FALSE = (
    "ImplementsFunctions",
    "ImplementsMinTemporalFilter",
    "ImplementsTemporalFilter",
    "ImplementsVersionNav",
    "ImplementsExtendedOperators",
    "ImplementsMinimumXPath",
    "ImplementsSchemaElementFunc",
)


class _Builder:
    def __init__(self, profile: Profile) -> None:
        self.p = profile

    def el(
        self, parent: etree._Element, ns: str, tag: str, text: str | None = None, **attrs: str
    ) -> etree._Element:
        element = etree.SubElement(parent, f"{{{ns}}}{tag}", **attrs)
        element.text = text
        return element

    def ows(
        self, parent: etree._Element, tag: str, text: str | None = None, **attrs: str
    ) -> etree._Element:
        return self.el(parent, self.p.ows, tag, text, **attrs)


def capabilities(profile: Profile, types: list[FeatureType], user, url: str) -> bytes:
    """The capabilities document listing the caller's visible feature types."""
    b = _Builder(profile)
    fes_prefix = "fes" if profile.is_v2 else "ogc"
    root = etree.Element(
        f"{{{profile.wfs}}}WFS_Capabilities",
        nsmap={
            "wfs": profile.wfs,
            "ows": profile.ows,
            fes_prefix: profile.fes,
            "gml": profile.gml,
            "xlink": XLINK,
            "xsi": XSI,
            PREFIX: NS,
        },
        version=profile.version,
    )
    root.set(f"{{{XSI}}}schemaLocation", f"{profile.wfs} {profile.wfs_schema}")
    _identification(b, root)
    _operations(b, root, url)
    type_list = b.el(root, profile.wfs, "FeatureTypeList")
    fallback = extent_fallback(user)  # empty types share it: one query, not one each
    for ftype in types:
        _feature_type(b, type_list, ftype, user, fallback)
    (_filter_v2 if profile.is_v2 else _filter_v11)(b, root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _identification(b: _Builder, root: etree._Element) -> None:
    ident = b.ows(root, "ServiceIdentification")
    b.ows(ident, "Title", "Quy hoạch — Planning WFS")
    b.ows(ident, "Abstract", "Plans in force (and, for signed-in users, their drafts).")
    b.ows(ident, "ServiceType", "WFS")
    for version in ("2.0.0", "1.1.0"):
        b.ows(ident, "ServiceTypeVersion", version)
    b.ows(ident, "Fees", "NONE")
    b.ows(ident, "AccessConstraints", "NONE")
    provider = b.ows(root, "ServiceProvider")
    b.ows(provider, "ProviderName", "Planning data server")
    b.ows(provider, "ServiceContact")


def _allowed(b: _Builder, parent: etree._Element, name: str, values: tuple[str, ...]) -> None:
    param = b.ows(parent, "Parameter", name=name)
    holder = b.ows(param, "AllowedValues") if b.p.is_v2 else param
    for value in values:
        b.ows(holder, "Value", value)


def _operations(b: _Builder, root: etree._Element, url: str) -> None:
    meta = b.ows(root, "OperationsMetadata")
    formats = (b.p.gml_format, GEOJSON)
    for name in OPERATIONS if b.p.is_v2 else OPERATIONS[:3]:
        op = b.ows(meta, "Operation", name=name)
        http = b.ows(b.ows(op, "DCP"), "HTTP")
        b.ows(http, "Get", **{f"{{{XLINK}}}href": f"{url}?"})
        b.ows(http, "Post", **{f"{{{XLINK}}}href": url})
        if name == "GetCapabilities":
            _allowed(b, op, "AcceptVersions", ("2.0.0", "1.1.0"))
        elif name in ("GetFeature", "GetPropertyValue"):
            _allowed(b, op, "outputFormat", formats)
            _allowed(b, op, "resultType", ("results", "hits"))
    if not b.p.is_v2:
        return
    for name, value in [(c, "TRUE") for c in CONFORMANCE_TRUE] + [
        (c, "FALSE") for c in CONFORMANCE_FALSE
    ]:
        constraint = b.ows(meta, "Constraint", name=name)
        b.ows(constraint, "NoValues")
        b.ows(constraint, "DefaultValue", value)
    count = b.ows(meta, "Constraint", name="CountDefault")
    b.ows(count, "NoValues")
    b.ows(count, "DefaultValue", str(max_count()))


def _feature_type(
    b: _Builder, parent: etree._Element, ftype: FeatureType, user, fallback: Callable[[], Bbox]
) -> None:
    wfs = b.p.wfs
    element = b.el(parent, wfs, "FeatureType")
    b.el(element, wfs, "Name", f"{PREFIX}:{ftype.name}")
    b.el(element, wfs, "Title", ftype.title)
    srids = offered_srids()
    tag = ("DefaultCRS", "OtherCRS") if b.p.is_v2 else ("DefaultSRS", "OtherSRS")
    b.el(element, wfs, tag[0], Crs(srids[0]).urn())
    for srid in srids[1:]:
        b.el(element, wfs, tag[1], Crs(srid).urn())
    formats = b.el(element, wfs, "OutputFormats")
    for name in (b.p.gml_format, GEOJSON):
        b.el(formats, wfs, "Format", name)
    extent = type_extent_wgs84(ftype, user, fallback)
    box = b.ows(element, "WGS84BoundingBox")
    b.ows(box, "LowerCorner", f"{extent[0]} {extent[1]}")
    b.ows(box, "UpperCorner", f"{extent[2]} {extent[3]}")


def _filter_v2(b: _Builder, root: etree._Element) -> None:
    fes = b.p.fes
    caps = b.el(root, fes, "Filter_Capabilities")
    conformance = b.el(caps, fes, "Conformance")
    for name, value in [(c, "TRUE") for c in FES_TRUE] + [(c, "FALSE") for c in FES_FALSE]:
        constraint = b.el(conformance, fes, "Constraint", name=name)
        b.ows(constraint, "NoValues")
        b.ows(constraint, "DefaultValue", value)
    ids = b.el(caps, fes, "Id_Capabilities")
    b.el(ids, fes, "ResourceIdentifier", name="fes:ResourceId")
    scalar = b.el(caps, fes, "Scalar_Capabilities")
    b.el(scalar, fes, "LogicalOperators")
    comparisons = b.el(scalar, fes, "ComparisonOperators")
    for name in COMPARISONS:
        b.el(comparisons, fes, "ComparisonOperator", name=name)
    spatial = b.el(caps, fes, "Spatial_Capabilities")
    operands = b.el(spatial, fes, "GeometryOperands")
    for name in OPERANDS:
        b.el(operands, fes, "GeometryOperand", name=name)
    operators = b.el(spatial, fes, "SpatialOperators")
    for name in SPATIAL:
        b.el(operators, fes, "SpatialOperator", name=name)


def _filter_v11(b: _Builder, root: etree._Element) -> None:
    ogc = b.p.fes
    caps = b.el(root, ogc, "Filter_Capabilities")
    spatial = b.el(caps, ogc, "Spatial_Capabilities")
    operands = b.el(spatial, ogc, "GeometryOperands")
    for name in OPERANDS_V11:
        b.el(operands, ogc, "GeometryOperand", name)
    operators = b.el(spatial, ogc, "SpatialOperators")
    for name in SPATIAL:
        b.el(operators, ogc, "SpatialOperator", name=name)
    scalar = b.el(caps, ogc, "Scalar_Capabilities")
    b.el(scalar, ogc, "LogicalOperators")
    comparisons = b.el(scalar, ogc, "ComparisonOperators")
    for name in (
        "EqualTo",
        "NotEqualTo",
        "LessThan",
        "GreaterThan",
        "LessThanEqualTo",
        "GreaterThanEqualTo",
        "Like",
        "Between",
        "NullCheck",
    ):
        b.el(comparisons, ogc, "ComparisonOperator", name)
    ids = b.el(caps, ogc, "Id_Capabilities")
    b.el(ids, ogc, "EID")
    b.el(ids, ogc, "FID")
