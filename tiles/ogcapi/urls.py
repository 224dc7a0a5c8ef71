"""URLs of OGC API Features, mounted at /ogcapi/ by tiles/urls.py."""

from django.urls import path, re_path

from tiles.ogcapi import views

app_name = "ogcapi"

_ID = r"(?P<collection_id>[A-Za-z0-9_.\-]{1,200})"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("conformance", views.conformance, name="conformance"),
    path("api", views.api, name="api"),
    path("collections", views.collections, name="collections"),
    re_path(rf"^collections/{_ID}$", views.collection, name="collection"),
    re_path(rf"^collections/{_ID}/queryables$", views.queryables, name="queryables"),
    re_path(rf"^collections/{_ID}/sortables$", views.sortables, name="sortables"),
    re_path(rf"^collections/{_ID}/schemas/feature$", views.feature_schema, name="feature_schema"),
    re_path(rf"^collections/{_ID}/items$", views.items_view, name="items"),
    re_path(
        rf"^collections/{_ID}/items/(?P<feature_id>[^/]{{1,64}})$", views.item_view, name="item"
    ),
    re_path(r"^.*$", views.not_found),
]
