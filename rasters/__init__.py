"""Raster planning layers: scanned plans, orthophotos and elevation models as COGs."""
