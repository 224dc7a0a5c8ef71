"""URLs of the threed app (mounted at the site root by planning/urls.py)."""

urlpatterns: list = []
