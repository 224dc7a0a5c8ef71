"""URLs of the public map services (mounted at the site root by planning/urls.py)."""

from django.urls import path, re_path

from tiles import views

app_name = "tiles"

urlpatterns = [
    path("ows", views.ows, name="ows"),
    path("wms", views.wms, name="wms"),
    path("wmts", views.wmts_kvp, name="wmts"),
    re_path(r"^wmts/(?P<rest>[A-Za-z0-9_./-]+)$", views.wmts_rest, name="wmts-rest"),
    path("tiles/<slug:layer>/<int:z>/<int:x>/<int:y>.png", views.xyz, name="xyz"),
    path("legend/<slug:layer>.json", views.legend_json, name="legend"),
]
