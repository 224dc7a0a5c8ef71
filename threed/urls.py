"""URLs of the threed app (mounted at the site root by planning/urls.py)."""

from django.urls import path, re_path

from threed import api, pages, views

app_name = "threed"

_CONTENT = r"k-(?P<key>[0-9a-f]{20})/(?P<name>[0-9]{1,6}\.b3dm)$"

urlpatterns = [
    path("3dtiles/in-force/tileset.json", views.in_force_tileset, name="in-force-tileset"),
    re_path(r"^3dtiles/in-force/" + _CONTENT, views.in_force_content, name="in-force-content"),
    path(
        "3dtiles/revisions/<int:revision_id>/tileset.json",
        views.revision_tileset,
        name="revision-tileset",
    ),
    re_path(
        r"^3dtiles/revisions/(?P<revision_id>[0-9]{1,12})/" + _CONTENT,
        views.revision_content,
        name="revision-content",
    ),
    path(
        "3dtiles/in-force/envelopes/tileset.json",
        views.in_force_envelopes_tileset,
        name="in-force-envelopes-tileset",
    ),
    re_path(
        r"^3dtiles/in-force/envelopes/" + _CONTENT,
        views.in_force_envelopes_content,
        name="in-force-envelopes-content",
    ),
    path(
        "3dtiles/revisions/<int:revision_id>/envelopes/tileset.json",
        views.revision_envelopes_tileset,
        name="revision-envelopes-tileset",
    ),
    re_path(
        r"^3dtiles/revisions/(?P<revision_id>[0-9]{1,12})/envelopes/" + _CONTENT,
        views.revision_envelopes_content,
        name="revision-envelopes-content",
    ),
    path("api/revisions/<int:revision_id>/models/", api.upload_model, name="upload-model"),
    # The page of the same upload, beside the GIS (/upload/) and CAD (/cad/) pages.
    path("revisions/<int:revision_id>/models/", pages.model_upload, name="model-upload"),
    path("api/revisions/<int:revision_id>/envelopes/", api.envelopes, name="envelopes"),
]
