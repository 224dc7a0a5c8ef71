from django.apps import AppConfig


def _create_cache_table(sender, using: str = "default", **kwargs) -> None:
    """`migrate` also creates the table of the database cache (settings.CACHES)."""
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)


class PlanningConfig(AppConfig):
    name = "planning"
    verbose_name = "Planning"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_migrate, pre_delete

        from planning import login_limits  # noqa: F401 - counts failed sign-ins
        from planning.members import audit_removals_of_account

        # Memberships go with a deleted account (cascade): audit each removal.
        pre_delete.connect(
            audit_removals_of_account,
            sender=get_user_model(),
            dispatch_uid="planning.audit_removals_of_account",
        )
        post_migrate.connect(
            _create_cache_table, sender=self, dispatch_uid="planning.create_cache_table"
        )
