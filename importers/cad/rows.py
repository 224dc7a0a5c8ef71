"""CAD features to the column lists of loader.copy_features, in the storage CRS."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import Transformer

from importers.cad.build import CadFeature


@dataclass
class Rows:
    wkb_2d: list[str]
    wkb_3d: list[str | None]
    attributes: list[dict]
    categories: list[str]
    refs: list[str]
    schema: list[dict]


def to_rows(features: list[CadFeature], transformer: Transformer | None) -> Rows:
    flat = np.asarray([f.geom for f in features], dtype=object)
    solids = [f.geom_3d for f in features]
    if transformer is not None:
        flat = shapely.transform(flat, _xy(transformer), include_z=False)
        solids = [_with_z(g, transformer) if g is not None else None for g in solids]
    wkb_2d = [blob.hex() for blob in shapely.to_wkb(flat, output_dimension=2).tolist()]
    wkb_3d = [
        shapely.to_wkb(g, output_dimension=3).hex() if g is not None else None for g in solids
    ]
    attributes = [f.attributes for f in features]
    return Rows(
        wkb_2d,
        wkb_3d,
        attributes,
        [f.category[:32] for f in features],
        [f.source_ref[:500] for f in features],
        schema_of(attributes),
    )


def _xy(transformer: Transformer):
    def forward(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return forward


def _with_z(geom, transformer: Transformer):
    def forward(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y, coords[:, 2]])

    return shapely.transform(geom, forward, include_z=True)


def schema_of(attributes: list[dict]) -> list[dict]:
    """[{name, type}] in first-seen order, the layer's attribute_schema."""
    seen = dict.fromkeys(
        (name, type(value)) for attrs in attributes for name, value in attrs.items()
    )
    types: dict[str, str] = {}
    for name, python_type in seen:
        kind = (
            "integer"
            if issubclass(python_type, int) and not issubclass(python_type, bool)
            else "number"
            if issubclass(python_type, float)
            else "string"
        )
        previous = types.get(name)
        if previous is None or (previous == "integer" and kind == "number"):
            types[name] = kind
        elif previous != kind and {previous, kind} != {"integer", "number"}:
            types[name] = "string"
    return [{"name": name, "type": kind} for name, kind in types.items()]
