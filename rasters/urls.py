"""URLs of the rasters app (mounted at the site root by planning/urls.py)."""

urlpatterns: list = []
