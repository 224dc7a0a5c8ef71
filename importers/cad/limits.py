"""Limits and tolerances of CAD conversion, read from settings with safe defaults.

A drawing is parsed whole into memory by ezdxf, so every limit that bounds time and
memory must be checked on the raw tag stream before ezdxf sees the file (see scan.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class CadLimits:
    max_bytes: int = 200 * 1024 * 1024
    max_entities: int = 2_000_000  # entities written in the file
    max_expanded: int = 5_000_000  # entities after expanding blocks and MINSERT arrays
    max_vertices: int = 1_000_000  # vertices of one entity
    max_text_chars: int = 100_000  # characters of one TEXT/MTEXT/ATTRIB
    max_array: int = 10_000  # cells of one MINSERT
    max_depth: int = 16  # block nesting
    converter_timeout: int = 120  # seconds for an external DWG converter
    converter_memory: int = 4 * 1024**3  # bytes of address space for a DWG converter


@dataclass(frozen=True)
class CadTolerances:
    arc: float = 0.01  # max chord deviation of arcs and curves (drawing units, m)
    snap: float = 0.05  # gap closed between loose lot lines (m)


def limits() -> CadLimits:
    return getattr(settings, "PLANNING_CAD_LIMITS", None) or CadLimits()


def tolerances() -> CadTolerances:
    return CadTolerances(
        arc=float(getattr(settings, "PLANNING_CAD_ARC_TOLERANCE", 0.01)),
        snap=float(getattr(settings, "PLANNING_CAD_SNAP_TOLERANCE", 0.05)),
    )
