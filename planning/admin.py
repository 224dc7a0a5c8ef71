"""The administration site's view of the planning domain.

Only what an administrator may change without going around the domain is editable: project
descriptions, the land-use catalogue, memberships (through planning.members, so they are
checked and audited) and the descriptions of mapping presets. Revisions move through the
review workflow, layers through imports, and the audit log is append-only (the database
refuses updates), so those are shown read-only. Nothing that would take audit history with
it (a project, a revision) can be deleted here.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest
from django.utils.translation import gettext, gettext_lazy
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

from planning import members
from planning.audit import audit
from planning.errors import PlanningError
from planning.models import (
    AuditEvent,
    LandUseCategory,
    Layer,
    MappingPreset,
    Membership,
    Project,
    Revision,
)
from planning.search import folded_matches
from webmap.forms import ScaleDenominatorField


class FoldedSearch:
    """The admin's search, also matching without diacritics ("nguyen" finds "Nguyễn")."""

    def get_search_results(self, request, queryset, search_term):
        found, duplicates = super().get_search_results(  # type: ignore[misc]
            request, queryset, search_term
        )
        if not search_term.strip():
            return found, duplicates
        fields = [f.lstrip("^=@") for f in self.search_fields]  # type: ignore[attr-defined]
        folded = folded_matches(queryset, fields, search_term).values("pk")
        return found | queryset.filter(pk__in=folded), duplicates


class ReadOnlyAdmin(admin.ModelAdmin):
    """Listed and viewed only: the domain's actions are the one way to change these rows."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ProjectAdminForm(forms.ModelForm):
    """The scale denominator reads as on the project page: digit grouping in either
    language ("2.000" is 2000, which Django's integer field took for 2) and the same bounds,
    refused with the same messages (planning.scales)."""

    scale = ScaleDenominatorField(
        label=gettext_lazy("Scale denominator"),
        help_text=gettext_lazy("500 for a 1/500 detailed plan, 2000 for 1/2000."),
    )

    class Meta:
        model = Project
        fields = ["name", "level", "scale", "admin_area", "agency"]


@admin.register(Project)
class ProjectAdmin(FoldedSearch, admin.ModelAdmin):
    """Descriptions are editable (and audited); projects are created on the site (with
    their first planner and draft) and never deleted here (their audit history stays)."""

    form = ProjectAdminForm
    list_display = ["code", "name", "level", "scale", "admin_area", "member_count", "created_at"]
    list_filter = ["level"]
    search_fields = ["code", "name", "admin_area", "agency"]
    fields = ["code", "name", "level", "scale", "admin_area", "agency", "created_by", "created_at"]
    readonly_fields = ["code", "created_by", "created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("memberships"))

    @admin.display(description=gettext_lazy("members"), ordering="member_count")
    def member_count(self, project) -> int:
        return project.member_count

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        if not form.changed_data:
            return
        audit(
            request.user,
            "project.update",
            project=obj,
            remote_addr=request.META.get("REMOTE_ADDR"),
            fields=sorted(form.changed_data),
            via="admin",
        )


@admin.register(Revision)
class RevisionAdmin(FoldedSearch, ReadOnlyAdmin):
    list_display = ["project", "number", "state", "author", "submitted_at", "decision_number"]
    list_filter = ["state"]
    search_fields = ["project__code", "decision_number", "note"]
    list_select_related = ["project", "author"]
    exclude = ["declared_balance"]


@admin.register(Layer)
class LayerAdmin(FoldedSearch, ReadOnlyAdmin):
    list_display = ["name", "kind", "revision", "feature_count", "source_format", "created_at"]
    list_filter = ["kind", "source_format"]
    search_fields = ["name", "source_name", "revision__project__code"]
    list_select_related = ["revision__project"]
    exclude = ["attribute_schema"]


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["project", "user", "role"]

    def clean_user(self):
        user = self.cleaned_data["user"]
        if not user.is_active:
            raise forms.ValidationError(gettext("This account is deactivated."))
        return user


@admin.register(Membership)
class MembershipAdmin(FoldedSearch, admin.ModelAdmin):
    """Adds, role changes and removals go through planning.members: checked and audited."""

    form = MembershipForm
    list_display = ["project", "user", "role"]
    list_filter = ["role", "project"]
    search_fields = ["project__code", "user__username"]
    list_select_related = ["project", "user"]
    autocomplete_fields = ["project", "user"]

    def get_readonly_fields(self, request, obj=None):
        return ["project", "user"] if obj is not None else []

    # Django's model permissions (planning.view/add/change/delete_membership; superusers
    # hold them all) on top of the domain's rule: the staff flag alone opens the admin site,
    # not the power to name a project's board (docs/deployment.md).
    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        allowed = super().has_view_permission(request, obj)
        return members.can_manage_members(request.user) and allowed

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return members.can_manage_members(request.user) and allowed

    def has_add_permission(self, request: HttpRequest) -> bool:
        allowed = super().has_add_permission(request)
        return members.can_manage_members(request.user) and allowed

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        return members.can_manage_members(request.user) and allowed

    def save_model(self, request, obj, form, change) -> None:
        remote_addr = request.META.get("REMOTE_ADDR")
        action: members.AddMember | members.ChangeMemberRole
        if change:
            action = members.ChangeMemberRole(
                user=request.user,
                membership=obj,
                role=obj.role,
                remote_addr=remote_addr,
                via="admin",
            )
        else:
            action = members.AddMember(
                user=request.user,
                project=obj.project,
                username=obj.user.username,
                role=obj.role,
                remote_addr=remote_addr,
                via="admin",
            )
        obj.pk = _run(action).pk
        self._warn_without_approver(request, obj.project)

    def delete_model(self, request, obj) -> None:
        _run(
            members.RemoveMember(
                user=request.user,
                membership=obj,
                remote_addr=request.META.get("REMOTE_ADDR"),
                via="admin",
            )
        )
        self._warn_without_approver(request, obj.project)

    def delete_queryset(self, request, queryset) -> None:
        for membership in queryset:
            self.delete_model(request, membership)

    def _warn_without_approver(self, request, project: Project) -> None:
        waiting = members.awaiting_without_approver(project)
        if waiting:
            numbers = ", ".join(str(r.number) for r in waiting)
            message = gettext(
                "%(code)s: no approver left for revisions %(numbers)s awaiting a decision."
            )
            self.message_user(
                request, message % {"code": project.code, "numbers": numbers}, messages.WARNING
            )


def _run(action):
    """An action's refusal as the admin's 403 (the form's own checks run first)."""
    try:
        return action.execute()
    except PlanningError as exc:
        raise PermissionDenied(exc.message) from exc


@admin.register(LandUseCategory)
class LandUseCategoryAdmin(FoldedSearch, admin.ModelAdmin):
    """The catalogue is the deployment's to configure; features refer to codes, so a code
    stays as it is once created."""

    list_display = ["code", "system", "name_vi", "name_en", "colour", "sort_order"]
    list_filter = ["system"]
    search_fields = ["code", "name_vi", "name_en"]
    list_editable = ["colour", "sort_order"]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj is not None else []

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type("LandUseCategoryForm", (UniqueInAnyCase, form), {})


class UniqueInAnyCase(forms.ModelForm):
    """A new code that differs from an existing one only in case would take over the lots
    of that code on every lookup (QA walk: "do" beside "DO")."""

    def clean_code(self):
        code = self.cleaned_data["code"]
        taken = LandUseCategory.objects.filter(code__iexact=code).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(
                gettext("The catalogue already has the code %(code)s.")
                % {"code": taken.first().code}
            )
        return code


@admin.register(MappingPreset)
class MappingPresetAdmin(FoldedSearch, admin.ModelAdmin):
    """Presets are made and validated on the CAD page and the API; here only described or
    removed."""

    list_display = ["name", "encoding", "crs", "created_by", "updated"]
    search_fields = ["name", "description"]
    readonly_fields = ["name", "mapping", "encoding", "crs", "created_by", "created", "updated"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Strictly read-only: the table refuses updates and deletions (migration 0009)."""

    list_display = ["at", "action", "actor", "project", "revision", "remote_addr"]
    list_filter = ["action"]
    search_fields = ["action", "actor__username", "project__code"]
    list_select_related = ["actor", "project", "revision__project"]
    date_hierarchy = "at"


# Django's own help text says the staff flag only opens this site; here it is domain power
# (docs/deployment.md, "Staff and permissions"), and the box is where an admin decides it.
STAFF_HELP = gettext_lazy(
    "Staff act for the province's planning office: besides signing in to this site, they "
    "see every draft of every project, may review and approve in every project and assign "
    "memberships. Give it only to fully trusted administrators."
)


class PlanningUserAdmin(FoldedSearch, UserAdmin):
    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "is_staff" in form.base_fields:
            form.base_fields["is_staff"].help_text = STAFF_HELP
        return form


class MaskedTokenAdmin(TokenAdmin):
    """DRF's token list, keys shown by their first characters (they are credentials)."""

    list_display = ("masked_key", "user", "created")

    @admin.display(description=gettext_lazy("key"))
    def masked_key(self, token) -> str:
        return str(token)  # planning.apps hides the rest


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), PlanningUserAdmin)
admin.site.unregister(TokenProxy)
admin.site.register(TokenProxy, MaskedTokenAdmin)
