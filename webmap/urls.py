"""URLs of the web pages; the map services and the API are wired in planning/urls.py."""

from django.templatetags.static import static
from django.urls import path
from django.views.generic import RedirectView

from webmap import views, views_cad

app_name = "webmap"


class FaviconRedirect(RedirectView):
    def get_redirect_url(self, *args, **kwargs) -> str:
        return static("webmap/favicon.svg")  # resolved per request: any static storage works


urlpatterns = [
    path("", RedirectView.as_view(pattern_name="webmap:map", permanent=False), name="home"),
    # Browsers ask for /favicon.ico on pages without an icon link (API and OGC documents).
    path("favicon.ico", FaviconRedirect.as_view(), name="favicon"),
    path("map/", views.map_view, name="map"),
    path("projects/", views.project_list, name="project-list"),
    path("projects/new/", views.project_create, name="project-create"),
    path("projects/<int:pk>/", views.project_detail, name="project-detail"),
    path("revisions/<int:pk>/upload/", views.revision_upload, name="revision-upload"),
    path("revisions/<int:pk>/review/", views.revision_review, name="revision-review"),
    path("revisions/<int:pk>/cad/", views_cad.revision_cad, name="revision-cad"),
]
