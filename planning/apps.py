from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _create_cache_table(sender, using: str = "default", **kwargs) -> None:
    """`migrate` also creates the table of the database cache (settings.CACHES)."""
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)


def _hide_token_keys() -> None:
    """An API token's text is its key (DRF), which the admin shows in lists, on the user's
    delete page and writes into its action log: a credential. Shown by its first characters."""
    from rest_framework.authtoken.models import Token

    Token.__str__ = lambda token: f"{token.key[:4]}…"  # type: ignore[method-assign]


class PlanningConfig(AppConfig):
    name = "planning"
    verbose_name = _("Planning")

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.core import checks
        from django.db.models.signals import post_migrate, post_save, pre_delete, pre_save

        from planning import login_limits  # noqa: F401 - counts failed sign-ins
        from planning.checks import storage_srid_in_database, storage_srid_is_projected
        from planning.members import audit_removals_of_account
        from planning.password_tokens import (
            note_password_change,
            revoke_tokens_after_password_change,
        )
        from planning.user_text import normalise_text_fields

        user_model = get_user_model()

        # Memberships go with a deleted account (cascade): audit each removal.
        pre_delete.connect(
            audit_removals_of_account,
            sender=user_model,
            dispatch_uid="planning.audit_removals_of_account",
        )
        # Any change of the stored password hash revokes the account's API token.
        pre_save.connect(
            note_password_change, sender=user_model, dispatch_uid="planning.note_password_change"
        )
        post_save.connect(
            revoke_tokens_after_password_change,
            sender=user_model,
            dispatch_uid="planning.revoke_tokens_after_password_change",
        )
        # What users type is stored in NFC, whichever page, API or admin form wrote it.
        pre_save.connect(normalise_text_fields, dispatch_uid="planning.normalise_text_fields")
        _hide_token_keys()
        checks.register(storage_srid_is_projected)
        checks.register(storage_srid_in_database, checks.Tags.database)
        post_migrate.connect(
            _create_cache_table, sender=self, dispatch_uid="planning.create_cache_table"
        )
