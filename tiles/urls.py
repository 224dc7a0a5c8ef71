"""URLs of the public map services (mounted at the site root by planning/urls.py)."""

from django.urls import include, path, re_path

from tiles import vector_tile_views, views
from tiles.http_cache import public_validators
from tiles.wfs import views as wfs_views

app_name = "tiles"

urlpatterns = [
    path("ows", public_validators(views.ows), name="ows"),
    path("wms", public_validators(views.wms), name="wms"),
    path("wfs", public_validators(wfs_views.wfs), name="wfs"),
    path("wmts", public_validators(views.wmts_kvp), name="wmts"),
    re_path(r"^wmts/(?P<rest>[A-Za-z0-9_./-]+)$", views.wmts_rest, name="wmts-rest"),
    path("tiles/<slug:layer>/<int:z>/<int:x>/<int:y>.png", views.xyz, name="xyz"),
    path("legend/<slug:layer>.json", views.legend_json, name="legend"),
    re_path(
        r"^vtiles/(?P<layer>[A-Za-z0-9_.\-]{1,100})"
        r"/(?P<z>\d{1,3})/(?P<x>\d{1,10})/(?P<y>\d{1,10})\.pbf$",
        vector_tile_views.vector_tile,
        name="vtile",
    ),
    re_path(
        r"^vtiles/(?P<layer>[A-Za-z0-9_.\-]{1,100})\.json$",
        vector_tile_views.tilejson,
        name="vtiles-tilejson",
    ),
    path("ogcapi/", include("tiles.ogcapi.urls")),
]
