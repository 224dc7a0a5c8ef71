"""The signed-in user's own account: changing one's password (planners, reviewers and
approvers are not staff, so the admin's form is closed to them): `password_change` and
`password_change_done` in planning/urls.py."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's view (old password, new one twice, the validators of settings.py; the
    session stays signed in) in the site's own page instead of the admin's."""

    template_name = "webmap/password_change_form.html"
    success_url = reverse_lazy("password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "webmap/password_change_done.html"
