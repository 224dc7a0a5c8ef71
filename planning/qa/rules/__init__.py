"""Importing this package registers every QA rule (one concern per module)."""

from planning.qa.rules import (
    attributes,
    balance,
    boundary,
    conflicts,
    envelope,
    extent,
    geometry,
    heights,
    rasters,
    topology,
)

__all__ = [
    "attributes",
    "balance",
    "boundary",
    "conflicts",
    "envelope",
    "extent",
    "geometry",
    "heights",
    "rasters",
    "topology",
]
