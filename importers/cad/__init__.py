"""CAD (DXF, DWG through a converter) drawings into normalised planning features."""
