"""3D planning layers: massing, zoning envelopes and 3D Tiles."""
