"""A changed password revokes the account's API token, whatever changed it; so does
deactivating the account (QA walk: the old token worked again once it was reactivated).

The usual answer to a leaked password is a new one, set by the user on /accounts/password/,
by an administrator in the admin (also "disable password-based authentication"), with
`manage.py changepassword`, or by any `set_password()`/`set_unusable_password()` + `save()`:
scripts holding the token must be shut out as well. Django already ends the account's other
sessions then (their auth hash is derived from the password hash). Connected in
planning.apps.PlanningConfig.ready().
"""

from __future__ import annotations

from django.contrib.auth.hashers import is_password_usable
from rest_framework.authtoken.models import Token

# Set on the instance by pre_save, read by post_save: the save replaces the stored hash.
_REVOKE_FLAG = "_planning_revoke_tokens"


def note_password_change(sender, instance, update_fields=None, **kwargs) -> None:
    """pre_save of the user model: does this save replace the stored password hash?"""
    setattr(instance, _REVOKE_FLAG, False)
    if kwargs.get("raw"):
        return  # loaddata: fixtures, not a password change
    if instance._state.adding or instance.pk is None:
        return  # a new account has no token yet
    if update_fields is not None and not {"password", "is_active"} & set(update_fields):
        return  # e.g. last_login on every sign-in: neither hash nor state is written
    stored = sender._default_manager.filter(pk=instance.pk).values_list("password", "is_active")
    old = stored.first()
    if old is None:
        return
    old_hash, was_active = old
    written = set(update_fields) if update_fields is not None else {"password", "is_active"}
    deactivated = "is_active" in written and was_active and not instance.is_active
    changed = (
        "password" in written
        and old_hash != instance.password
        and not _is_hash_upgrade(instance, update_fields)
    )
    setattr(instance, _REVOKE_FLAG, deactivated or changed)


def revoke_tokens_after_password_change(sender, instance, **kwargs) -> None:
    """post_save of the user model: delete the tokens once the new hash is saved (in the same
    transaction, if any, so a save that rolls back keeps them)."""
    if getattr(instance, _REVOKE_FLAG, False):
        setattr(instance, _REVOKE_FLAG, False)
        Token.objects.filter(user_id=instance.pk).delete()


def _is_hash_upgrade(instance, update_fields) -> bool:
    """The hash Django re-computes on a successful sign-in when the hasher's settings changed
    (`check_password`'s setter: `set_password`, then `_password = None` - Django's own mark
    for "not a password change", which also skips the password validators' `password_changed`
    - then `save(update_fields=["password"])`).

    It does not revoke: the password is the same one its owner just proved to know, and
    revoking would break every script of every user once after each upgrade of Django's
    hasher iterations. A new unusable hash (the account's password disabled) is never one."""
    return (
        update_fields is not None
        and set(update_fields) == {"password"}
        and getattr(instance, "_password", None) is None
        and is_password_usable(instance.password)
    )
