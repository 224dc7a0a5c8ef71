"""Lot labels from MapInfo text objects, read and joined as a drawing's labels are.

A MapInfo land-use table often holds its lots as regions and their labels ("A1-01",
"Đất ở mới", "MĐXD 60%", "TC 3-5") as text objects of the same table. When such a table
is mapped to the land-use layer, its text objects are not features of that layer: each
text is parsed by the CAD label parser and joined to the region it lies in by
point-in-polygon (importers.cad.labels, as importers.cad.build does for drawings).

The table's own columns win. A label fills what a lot's columns leave empty: the column
of the same name (any case: `code`, `density` ...) or its Vietnamese name (MA_LO, MDXD:
planning.layer_kinds, AttributeSpec.aliases), the table's function column (the one
that gives the lots their category, e.g. CHUCNANG, planning.layer_kinds.category_field)
for the function, else a new column named as a drawing's lots name it. A label that says
otherwise is a conflict, reported as a drawing's conflicting labels are, the table's value
first (kept). A lot is reported when, with its columns and labels together, it still lacks
a code or a function, or when its labels disagree; a text with a lot code in no region is
reported where it stands.

The labels may also sit in a table of their own: in an upload of several tables (a zip of
MapInfo tables), the texts of a land-use table that holds no regions label the regions of
the other land-use tables, each text the smallest region it lies in (in whichever CRS).
A table with regions keeps its own texts for its own regions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import shapely
from pyproj import CRS, Geod, Transformer

from importers import mapinfo_text
from importers import report as messages
from importers.cad import labels
from importers.cad.labels import LabelIssue, LabelParser, LotLabels
from importers.ogr import SourceLayer
from planning.catalogue import function_of
from planning.layer_kinds import category_field, get_kind, standard_columns

LOT_KIND = "landuse"
LIST_CAP = 1000  # label issues listed, as in a drawing's report (all are counted)
FUNCTION = "function"
FUNCTION_LABEL = "function_label"


@dataclass
class Labelling:
    """What the text objects of one lot layer did, for its report."""

    texts: int  # text objects read as labels
    lots: int  # regions they were joined to
    labelled: int  # regions with at least one text inside
    from_codes: int  # lots whose function is their lot code's catalogue prefix
    issues: list[LabelIssue] = field(default_factory=list)
    # Lots that also took texts of other tables: the layers whose texts were read, how many.
    text_layers: tuple[str, ...] = ()
    pooled_texts: int = 0
    # A table of texts alone: the tables whose lots its texts labelled.
    labels_for: tuple[str, ...] = ()


@dataclass
class _Table:
    """A land-use table split into its text objects and its other features."""

    source: SourceLayer
    geoms: np.ndarray
    placed: list[int]  # rows of the texts with a place and words
    written: list[str]  # their words
    lots: SourceLayer  # the table without its texts
    lot_geoms: np.ndarray
    lot_at: np.ndarray  # which of those can be lots (polygons)


def _has_texts(source: SourceLayer) -> bool:
    return source.text_objects is not None and bool(source.text_objects.any())


def _table(source: SourceLayer) -> _Table:
    geoms = shapely.from_wkb(source.wkb, on_invalid="ignore")
    placed: list[int] = []
    written: list[str] = []
    is_text = source.text_objects
    if is_text is not None and is_text.any():
        column = source.columns[[f["name"] for f in source.fields].index(mapinfo_text.TEXT_FIELD)]
        placed = [i for i in np.flatnonzero(is_text).tolist() if _placed(geoms[i]) and column[i]]
        written = [str(column[i]) for i in placed]
        rows = np.flatnonzero(~is_text)
        lots = _without_texts(source, rows)
    else:
        rows, lots = np.arange(len(source)), source
    lot_geoms = geoms[rows]
    return _Table(
        source, geoms, placed, written, lots, lot_geoms, np.flatnonzero(_polygons(lot_geoms))
    )


def label_lots(
    source: SourceLayer, kind: str, functions: Callable[[], dict[str, str]]
) -> tuple[SourceLayer, Labelling | None]:
    """The layer without its text objects, its lots with what the texts inside them say;
    unchanged (and None) unless it is a lot layer with text objects."""
    if kind != LOT_KIND or not _has_texts(source):
        return source, None
    return _label(_table(source), functions)


def label_lot_tables(
    tables: list[tuple[SourceLayer, str, CRS]], functions: Callable[[], dict[str, str]]
) -> list[tuple[SourceLayer, Labelling | None]]:
    """label_lots for each (source, kind, CRS) of one upload, in their order; the texts of
    a land-use table of texts alone label the lots of the others (the module docstring):
    each text goes to the smallest region that holds it, in whichever table, its anchor
    moved into that table's CRS. A table with regions keeps its own texts for its own
    regions, and one that receives no text is left as it is."""
    results: list[tuple[SourceLayer, Labelling | None]] = [(s, None) for s, _, _ in tables]
    split = {i: _table(source) for i, (source, kind, _) in enumerate(tables) if kind == LOT_KIND}
    regions = [i for i, table in split.items() if len(table.lot_at)]
    text_only = [i for i, table in split.items() if table.placed and not len(table.lot_at)]
    given: dict[int, list[tuple[object, str, str]]] = {i: [] for i in regions}
    for index in text_only if regions else []:
        table, crs = split[index], tables[index][2]
        homes = _homes(table, crs, [(r, split[r], tables[r][2]) for r in regions])
        for (region, point), words in zip(homes, table.written, strict=True):
            if region is not None:
                given[region].append((point, words, table.source.name))
        strays = [k for k, (region, _) in enumerate(homes) if region is None]
        layer, done = _label(_subset_texts(table, strays), functions)
        done.texts = len(table.placed)
        done.labels_for = tuple(dict.fromkeys(tables[r][0].name for r, _ in homes if r is not None))
        results[index] = (layer, done)
    for index, table in split.items():
        if regions and index in text_only:
            continue
        if _has_texts(table.source) or given.get(index):
            results[index] = _label(table, functions, given.get(index, []))
    return results


def _homes(
    table: _Table, crs: CRS, regions: list[tuple[int, _Table, CRS]]
) -> list[tuple[int | None, object]]:
    """For each placed text of `table`: the region table holding the smallest region it
    lies in and the anchor in that table's CRS, or (None, None)."""
    anchors = table.geoms[table.placed]
    best: list[tuple[int | None, object]] = [(None, None)] * len(anchors)
    smallest = np.full(len(anchors), np.inf)
    for index, regions_table, region_crs in regions:
        points = _moved(anchors, crs, region_crs)
        lots = regions_table.lot_geoms[regions_table.lot_at]
        inside, lot = shapely.STRtree(lots).query(points, predicate="within")
        # Areas in square metres wherever the table's CRS is: tables may differ.
        areas = _areas_m2(lots[lot], region_crs)
        for text, area in zip(inside.tolist(), areas.tolist(), strict=True):
            if area < smallest[text]:
                smallest[text], best[text] = area, (index, points[text])
    return best


def _moved(points: np.ndarray, source: CRS, target: CRS) -> np.ndarray:
    if source == target:
        return points
    move = Transformer.from_crs(source, target, always_xy=True)
    return shapely.transform(points, lambda xy: np.column_stack(move.transform(xy[:, 0], xy[:, 1])))


def _areas_m2(polygons: np.ndarray, crs: CRS) -> np.ndarray:
    if crs.is_projected:
        return shapely.area(polygons)
    geod = crs.get_geod() or Geod(ellps="WGS84")
    return np.array([abs(geod.geometry_area_perimeter(p)[0]) for p in polygons], dtype=float)


def _subset_texts(table: _Table, keep: list[int]) -> _Table:
    """The table with only the texts at positions `keep` of its placed texts."""
    return _Table(
        table.source,
        table.geoms,
        [table.placed[k] for k in keep],
        [table.written[k] for k in keep],
        table.lots,
        table.lot_geoms,
        table.lot_at,
    )


def _label(
    table: _Table,
    functions: Callable[[], dict[str, str]],
    extra: list[tuple[object, str, str]] | None = None,
) -> tuple[SourceLayer, Labelling]:
    """The table's texts, and `extra` (anchor, words, layer) texts of other tables, joined
    to the lots they lie in; texts in no lot reported."""
    extra = extra or []
    parser = LabelParser(functions())
    joined, outside = labels.join(
        list(table.lot_geoms[table.lot_at]),
        [*table.geoms[table.placed], *(point for point, _, _ in extra)],
        [*table.written, *(words for _, words, _ in extra)],
        parser,
    )
    merge = _Merge(table.lots, functions, parser)
    lot_rows = zip(table.lot_at.tolist(), table.lot_geoms[table.lot_at], joined, strict=True)
    issues = [issue for row, lot, said in lot_rows if (issue := merge.lot(row, lot, said))]
    from_layers = (table.source.name,) if table.placed else ()
    text_layers = tuple(dict.fromkeys([*from_layers, *(layer for _, _, layer in extra)]))
    done = Labelling(
        texts=len(table.placed),
        lots=len(table.lot_at),
        labelled=sum(bool(said.texts) for said in joined),
        from_codes=merge.from_codes,
        issues=[*issues, *outside],
        text_layers=text_layers if extra else (),
        pooled_texts=len(table.placed) + len(extra) if extra else 0,
    )
    return merge.layer(), done


def report_entries(labelling: Labelling, layer: str, crs: CRS) -> tuple[list[str], list[dict]]:
    """The notes and label issues of a lot layer's labels, as a drawing's report has them:
    each issue with `location` in the layer's CRS and `lonlat` in EPSG:4326."""
    notes = []
    if labelling.text_layers and labelling.lots:
        notes.append(
            messages.LOTS_LABELLED_FROM_LAYERS(
                texts=labelling.pooled_texts,
                layers=", ".join(repr(name) for name in labelling.text_layers),
                layer=repr(layer),
                labelled=labelling.labelled,
                lots=labelling.lots,
            )
        )
    elif not labelling.text_layers and not labelling.labels_for:
        notes.append(
            messages.LOTS_LABELLED(
                texts=labelling.texts,
                layer=repr(layer),
                labelled=labelling.labelled,
                lots=labelling.lots,
            )
        )
    if labelling.from_codes:
        notes.append(messages.FUNCTIONS_FROM_CODES(count=labelling.from_codes))
    to_lonlat = Transformer.from_crs(crs, CRS.from_epsg(4326), always_xy=True)
    entries = []
    for issue in labelling.issues:
        entry = issue.as_dict()
        lon, lat = to_lonlat.transform(*issue.location)
        finite = bool(np.isfinite(lon) and np.isfinite(lat))
        entry["lonlat"] = [round(lon, 7), round(lat, 7)] if finite else None
        entries.append(entry)
    return notes, entries


def lot_labels(labelling: Labelling | None) -> dict | None:
    """The counts a layer's report carries (None: no text objects read as lot labels)."""
    if labelling is None:
        return None
    return {"texts": labelling.texts, "lots": labelling.lots, "labelled": labelling.labelled}


def with_labels(report: dict, labelling: Labelling | None, layer: str, crs: CRS) -> dict:
    """A plain upload's report with its lot labels' notes and issues (the keys a drawing's
    report has), unchanged without any."""
    if labelling is None:
        return report
    notes, entries = report_entries(labelling, layer, crs)
    return {
        **report,
        "notes": notes,
        "label_issues": entries[:LIST_CAP],
        "totals": {"label_issues": len(entries)},
    }


def _placed(geom) -> bool:
    return geom is not None and not shapely.is_empty(geom)


def _polygons(geoms: np.ndarray) -> np.ndarray:
    """Which geometries can be lots: non-empty polygons (others are rejected as before)."""
    present = ~shapely.is_missing(geoms)
    types = np.full(len(geoms), -1)
    types[present] = shapely.get_type_id(geoms[present])
    polygon = np.isin(types, [shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON])
    polygon[polygon] = ~shapely.is_empty(geoms[polygon])
    return polygon


def _without_texts(source: SourceLayer, rows: np.ndarray) -> SourceLayer:
    """The features that are no text objects, without the columns read for those."""
    kept = [i for i, f in enumerate(source.fields) if f["name"] not in source.text_fields]
    return SourceLayer(
        source.name,
        source.crs,
        source.crs_problem,
        source.fids[rows],
        source.wkb[rows],
        [source.fields[i] for i in kept],
        [[source.columns[i][row] for row in rows.tolist()] for i in kept],
        source.text_encoding,
    )


def _is_empty(value: object) -> bool:
    """No value: MapInfo has no empty number and stores a blank one as 0."""
    if value is None:
        return True
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return value == 0
    return not str(value).strip()


def _same(own: object, label: object) -> bool:
    """A column's value and a label's agree: numbers by value ("60" and 60.0), text in
    any case."""
    if isinstance(label, int | float):
        read = own if isinstance(own, int | float) else labels.number(str(own).rstrip("% "))
        return read is not None and abs(float(read) - float(label)) < 1e-9
    return str(own).strip().casefold() == str(label).strip().casefold()


class _Merge:
    """The lots' attributes: the table's columns, what labels fill, and the conflicts."""

    def __init__(
        self, lots: SourceLayer, functions: Callable[[], dict[str, str]], parser: LabelParser
    ) -> None:
        self.source = lots
        self.functions = functions()
        self.parser = parser
        self.names = [f["name"] for f in lots.fields]
        self.fields = list(lots.fields)
        self.columns = [list(column) for column in lots.columns]
        self.own = {name.lower(): i for i, name in reversed(list(enumerate(self.names)))}
        kind = get_kind(LOT_KIND)
        self.function_field = category_field(kind, self.names, lots.columns, functions)
        # A label fills the table's own column of a fact under its Vietnamese name too
        # (MA_LO for the code, MDXD for the density); the import then reads it into the
        # attribute (importers.service.standard_attributes).
        columns = standard_columns(kind, self.names, lots.columns, functions)
        for attribute, column in columns.items():
            if attribute != FUNCTION:
                self.own.setdefault(attribute, self.names.index(column))
        self.categories = [self._category(row) for row in range(len(lots))]
        self.from_codes = 0

    def layer(self) -> SourceLayer:
        return SourceLayer(
            self.source.name,
            self.source.crs,
            self.source.crs_problem,
            self.source.fids,
            self.source.wkb,
            self.fields,
            self.columns,
            self.source.text_encoding,
        )

    def lot(self, row: int, geom, labelled: LotLabels) -> LabelIssue | None:
        """Fills one lot from its labels; its issue, if any."""
        conflicts: dict[str, list[object]] = {}
        function = self._function(row, labelled, conflicts)
        for key, value in labelled.attributes.items():
            if key not in (FUNCTION, FUNCTION_LABEL):
                said = labelled.conflicts.get(key) or [value]
                self._fill(row, key, said, conflicts)
        code = self._own(row, "code") or labelled.attributes.get("code")
        if not labelled.texts and not _is_empty(code) and function:
            return None  # its columns give what the labels would
        seen = LotLabels(
            {FUNCTION: function} if function else {},
            labelled.texts,
            labelled.codes or ([str(code)] if not _is_empty(code) else []),
            conflicts,
        )
        found = labels.problem(seen)
        return LabelIssue(labels.location(geom), found, labelled.texts) if found else None

    def _function(self, row: int, labelled: LotLabels, conflicts: dict) -> str:
        """The lot's function: its column's category, else its labels' (filled in)."""
        said = labelled.conflicts.get(FUNCTION) or (
            [labelled.attributes[FUNCTION]] if FUNCTION in labelled.attributes else []
        )
        own = self.categories[row]
        if not said:
            return own
        if not own:
            self._set(row, self.function_field or FUNCTION, said[0])
            self._label_function(row, labelled)
            if len(said) > 1:
                conflicts[FUNCTION] = said
            self.from_codes += labelled.function_from_code
            return str(said[0])
        others = [f for f in said if not self._agrees(own, str(f))]
        if others:
            conflicts[FUNCTION] = [own, *others]
        elif said[0] == own:
            self._label_function(row, labelled)
        return own

    def _label_function(self, row: int, labelled: LotLabels) -> None:
        """The planner's words for the function the lot has ("Đất ở mới"), as in drawings."""
        words = labelled.attributes.get(FUNCTION_LABEL)
        if words is not None and _is_empty(self._own(row, FUNCTION_LABEL)):
            self._set(row, FUNCTION_LABEL, words)

    def _agrees(self, own: str, label: str) -> bool:
        """The same function, or one a kind of the other ("Đất ở" and ODT)."""
        refines = self.parser.refines
        return own == label or refines(label, own) or refines(own, label)

    def _category(self, row: int) -> str:
        """The catalogue code the table's function column gives the lot ("" without)."""
        if self.function_field is None:
            return ""
        value = self.columns[self.names.index(self.function_field)][row]
        if _is_empty(value):
            return ""
        return function_of(str(value), self.functions) or str(value).strip().upper()[:32]

    def _fill(self, row: int, key: str, said: list[object], conflicts: dict) -> None:
        own = self._own(row, key)
        if _is_empty(own):
            self._set(row, key, said[0])
            if len(said) > 1:
                conflicts[key] = said
            return
        others = [value for value in said if not _same(own, value)]
        if others:
            conflicts[key] = [own, *others]

    def _own(self, row: int, key: str) -> object:
        at = self.own.get(key.lower())
        return None if at is None else self.columns[at][row]

    def _set(self, row: int, key: str, value: object) -> None:
        at = self.own.get(key.lower())
        if at is None:
            at = self.own[key.lower()] = len(self.fields)
            self.fields.append({"name": key, "type": _type_of(value)})
            self.columns.append([None] * len(self.source))
        self.columns[at][row] = value


def _type_of(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return "integer"
    return "number" if isinstance(value, float) else "string"
