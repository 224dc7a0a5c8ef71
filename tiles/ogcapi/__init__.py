"""OGC API Features (Parts 1-3) over the planning store: /ogcapi/.

Metadata documents (`documents`), the items query (`items`), CQL2 filters (`cql`),
streamed GeoJSON (`geojson`), the OpenAPI definition (`openapi`), formats, errors and
caching (`negotiation`); `views` only adapts HTTP to them.
"""
