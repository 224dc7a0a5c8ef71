from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "planning"
    verbose_name = "Planning"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import pre_delete

        from planning.members import audit_removals_of_account

        # Memberships go with a deleted account (cascade): audit each removal.
        pre_delete.connect(
            audit_removals_of_account,
            sender=get_user_model(),
            dispatch_uid="planning.audit_removals_of_account",
        )
