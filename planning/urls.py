"""Top-level URL map: wires the domain API, the map services and the web pages together."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from importers.api import inspect_cad, upload_cad, upload_layer
from tiles.dossier import dossier_pdf

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Uploads live with the importers; the domain API does not import them.
    path("api/revisions/<int:revision_id>/uploads/", upload_layer, name="upload-layer"),
    path("api/revisions/<int:revision_id>/dossier.pdf", dossier_pdf, name="revision-dossier"),
    path("api/revisions/<int:revision_id>/cad/", upload_cad, name="upload-cad"),
    path("api/cad/inspect/", inspect_cad, name="inspect-cad"),
    path("api/", include("planning.api.urls")),
    path("", include("rasters.urls")),
    path("", include("threed.urls")),
    path("", include("tiles.urls")),
    path("", include("webmap.urls")),
]
