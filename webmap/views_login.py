"""The sign-in page, refusing to check passwords after too many recent failures."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from planning.login_limits import TOO_MANY_ATTEMPTS, seconds_blocked

TOO_MANY = "too_many_attempts"


class LimitedAuthenticationForm(AuthenticationForm):
    """Says "too many attempts" instead of checking the password while a limit is reached
    (the backend would refuse it anyway, with the misleading "wrong password")."""

    def clean(self):
        if seconds_blocked(self.request, self.cleaned_data.get("username") or ""):
            raise ValidationError(TOO_MANY_ATTEMPTS, code=TOO_MANY)
        return super().clean()


class LoginView(auth_views.LoginView):
    form_class = LimitedAuthenticationForm

    def form_invalid(self, form: AuthenticationForm):
        response = super().form_invalid(form)
        if form.has_error("__all__", TOO_MANY):
            response.status_code = 429
        return response
