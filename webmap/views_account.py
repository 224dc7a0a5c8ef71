"""The signed-in user's own account: changing one's password (planners, reviewers and
approvers are not staff, so the admin's form is closed to them): `password_change` and
`password_change_done` in planning/urls.py."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy

from planning.login_limits import record_failure, seconds_blocked, too_many_attempts
from webmap.views_login import TOO_MANY, refused_for_a_while


class LimitedPasswordChangeForm(PasswordChangeForm):
    """The old password is a password check like a sign-in (Django's form checks it without
    `authenticate()`): a wrong one counts towards the account's and the address's limits,
    and none is checked while a limit is reached, so a borrowed session cannot guess it."""

    def __init__(self, user, *args, request=None, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.request = request
        self.blocked_seconds = 0

    def clean_old_password(self):
        username = self.user.get_username()
        self.blocked_seconds = seconds_blocked(self.request, username)
        if self.blocked_seconds:
            raise ValidationError(too_many_attempts(self.blocked_seconds), code=TOO_MANY)
        try:
            return super().clean_old_password()
        except ValidationError:
            record_failure(self.request, username)
            raise


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's view (old password, new one twice, the validators of settings.py; this
    session stays signed in, other sessions end, and planning.password_tokens revokes the API
    token as for any password change) in the site's own page
    instead of the admin's."""

    template_name = "webmap/password_change_form.html"
    success_url = reverse_lazy("password_change_done")
    form_class = LimitedPasswordChangeForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.has_error("old_password", TOO_MANY):
            return refused_for_a_while(response, form.blocked_seconds)
        return response


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "webmap/password_change_done.html"
