"""The sign-in page, refusing to check passwords after too many recent failures."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from planning.login_limits import seconds_blocked, too_many_attempts

TOO_MANY = "too_many_attempts"


class LimitedAuthenticationForm(AuthenticationForm):
    """Says "too many attempts" instead of checking the password while a limit is reached
    (the backend would refuse it anyway, with the misleading "wrong password")."""

    blocked_seconds = 0  # how long the client must wait, when the form refused to check

    def clean(self):
        self.blocked_seconds = seconds_blocked(
            self.request, self.cleaned_data.get("username") or ""
        )
        if self.blocked_seconds:
            raise ValidationError(too_many_attempts(self.blocked_seconds), code=TOO_MANY)
        return super().clean()


def refused_for_a_while(response, seconds: int):
    """The page of a paused client: 429 and when to come back (RFC 6585)."""
    response.status_code = 429
    response["Retry-After"] = str(seconds)
    return response


class LoginView(auth_views.LoginView):
    form_class = LimitedAuthenticationForm

    def form_invalid(self, form: AuthenticationForm):
        response = super().form_invalid(form)
        if form.has_error("__all__", TOO_MANY):
            return refused_for_a_while(response, getattr(form, "blocked_seconds", 0))
        return response
