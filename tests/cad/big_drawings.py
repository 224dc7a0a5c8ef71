"""Generated drawings large enough that an import job runs for seconds (cancel, kill)."""

from __future__ import annotations

import math
from pathlib import Path

import ezdxf

from tests.cad.drawings import E0, N0


def many_lots(path: Path, count: int, *, origin: tuple[float, float] = (E0, N0)) -> Path:
    """`count` 10 x 8 m lots as closed polylines with a code label each, on two layers
    (landuse, roads) so the load stage writes two layers in one transaction."""
    doc = ezdxf.new("R2010")
    msp = doc.modelspace()
    per_row = 200
    x0, y0 = origin
    for index in range(count):
        x = x0 + (index % per_row) * 12.0
        y = y0 + (index // per_row) * 10.0
        layer = "LOTS" if index % 2 else "ROADS"
        msp.add_lwpolyline(
            [(x, y), (x + 10, y), (x + 10, y + 8), (x, y + 8)],
            close=True,
            dxfattribs={"layer": layer},
        )
        msp.add_text(f"L-{index}", dxfattribs={"layer": "LABELS", "insert": (x + 2, y + 4)})
    doc.saveas(path)
    return path


BIG_MAPPING = {"LOTS": "landuse", "ROADS": "roads", "LABELS": "landuse"}


def rotate(x: float, y: float, degrees: float) -> tuple[float, float]:
    angle = math.radians(degrees)
    return (
        x * math.cos(angle) - y * math.sin(angle),
        x * math.sin(angle) + y * math.cos(angle),
    )


def local_lots(path: Path, degrees: float, *, scale: float = 1.0) -> Path:
    """Three 30 x 20 m lots drawn in local coordinates: the true layout (lot i at E0 + 30 i,
    N0) moved to the origin, rotated by `degrees` and scaled (1000 = drawn in millimetres)."""
    doc = ezdxf.new("R2010")
    msp = doc.modelspace()
    for index in range(3):
        x, y = index * 30.0, 0.0
        corners = [(x, y), (x + 30, y), (x + 30, y + 20), (x, y + 20)]
        local = [tuple(scale * v for v in rotate(cx, cy, degrees)) for cx, cy in corners]
        msp.add_lwpolyline(local, close=True, dxfattribs={"layer": "LOTS"})
        label = tuple(scale * v for v in rotate(x + 5, y + 10, degrees))
        msp.add_text(f"A1-0{index + 1}", dxfattribs={"layer": "LOTS", "insert": label})
    doc.saveas(path)
    return path
