"""WFS 2.0.0 and 1.1.0 over the feature-type registry (tiles.feature_types).

Modules: `xmlsafe` (hostile-XML-proof parsing), `errors` (exception reports),
`request` (KVP and XML POST into one typed request), `filters` (FES through pygeofilter,
allow-listed), `query` (the queryset), `capabilities`, `schema` (DescribeFeatureType),
`output` (streamed GML 3.2/3.1.1 and GeoJSON), `stored` (stored queries), `views`.
"""
