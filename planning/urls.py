"""Top-level URL map: wires the domain API, the map services and the web pages together."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from importers.api import (
    crs_presets,
    inspect_cad,
    mapping_preset,
    mapping_presets,
    start_cad_job,
    upload_cad,
    upload_layer,
)
from planning.health import health
from planning.jobs_api import job_cancel, job_detail
from tiles.dossier import dossier_pdf
from webmap.views_account import PasswordChangeDoneView, PasswordChangeView
from webmap.views_login import LoginView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("health", health, name="health"),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Uploads live with the importers; the domain API does not import them.
    path("api/revisions/<int:revision_id>/uploads/", upload_layer, name="upload-layer"),
    path("api/revisions/<int:revision_id>/dossier.pdf", dossier_pdf, name="revision-dossier"),
    path("api/revisions/<int:revision_id>/cad/", upload_cad, name="upload-cad"),
    path("api/cad/inspect/", inspect_cad, name="inspect-cad"),
    path("api/revisions/<int:revision_id>/cad/jobs/", start_cad_job, name="cad-job-start"),
    path("api/cad/presets/", mapping_presets, name="cad-presets"),
    path("api/cad/presets/<str:name>/", mapping_preset, name="cad-preset"),
    path("api/cad/crs-presets/", crs_presets, name="cad-crs-presets"),
    path("api/jobs/<int:job_id>/", job_detail, name="job-detail"),
    path("api/jobs/<int:job_id>/cancel/", job_cancel, name="job-cancel"),
    path("api/", include("planning.api.urls")),
    path("", include("rasters.urls")),
    path("", include("threed.urls")),
    path("", include("tiles.urls")),
    path("", include("webmap.urls")),
]

# Machine clients of the API and the JSON services get a JSON 404, not the site's page.
handler404 = "planning.api.errors.not_found_page"
