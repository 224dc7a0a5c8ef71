"""URLs of the rasters app (mounted at the site root by planning/urls.py)."""

from django.urls import path

from rasters import api, views

urlpatterns = [
    path("api/revisions/<int:revision_id>/rasters/", api.revision_rasters, name="revision-rasters"),
    path(
        "api/revisions/<int:revision_id>/rasters/jobs/",
        api.start_raster_job,
        name="revision-raster-jobs",
    ),
    path("api/rasters/map/", api.map_rasters, name="map-rasters"),
    path("api/rasters/<int:raster_id>/", api.raster_detail, name="raster-detail"),
    path(
        "api/rasters/<int:raster_id>/georeference/",
        api.raster_georeference,
        name="raster-georeference",
    ),
    path("api/rasters/<int:raster_id>/image.png", api.raster_image, name="raster-image"),
    path("rasters/<int:raster_id>/georeference/", views.georeference_page, name="raster-georef"),
    path("rasters/<int:raster_id>/remove/", views.remove_page, name="raster-remove"),
    path("revisions/<int:revision_id>/rasters/", views.upload_page, name="raster-upload"),
]
