"""REST endpoints of a project's memberships (planners, reviewers, approvers).

A project the caller may not see is 404 whatever the method, so its existence does not leak;
the members are listed to the project's members and staff; changes are staff's
(planning.members says why) and each one is audited.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from planning import members, visibility
from planning.audit import require_user
from planning.errors import Forbidden, NotFound
from planning.models import Membership, Project


class MemberSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    full_name = serializers.CharField(source="user.get_full_name", read_only=True)
    role_display = serializers.CharField(source="get_role_display", read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "username", "full_name", "role", "role_display"]
        read_only_fields = fields


class MembersSerializer(serializers.Serializer):
    members = MemberSerializer(many=True)
    awaiting_without_approver = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Ids of revisions awaiting a decision while the project has no active "
        "approver: only staff can approve them until one is added.",
    )


class AddMemberSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=Membership.Role.choices)


class RoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Membership.Role.choices)


def _project(request: Request, project_id: int) -> Project:
    project = visibility.visible_projects(request.user).filter(pk=project_id).first()
    if project is None:
        raise NotFound(_("No such project."))
    return project


def _listing(project: Project) -> dict:
    return {
        "members": MemberSerializer(members.members_of(project), many=True).data,
        "awaiting_without_approver": [r.pk for r in members.awaiting_without_approver(project)],
    }


def _remote_addr(request: Request) -> str | None:
    return request.META.get("REMOTE_ADDR")


@extend_schema(
    methods=["GET"],
    responses=MembersSerializer,
    description="The members of the project (its members and staff may list them).",
)
@extend_schema(
    methods=["POST"],
    request=AddMemberSerializer,
    responses={201: MemberSerializer},
    description="Give an account a role in the project (staff). Unknown or deactivated "
    "account: 400; the account already has that role: 409.",
)
@api_view(["GET", "POST"])
@permission_classes([AllowAny])  # 404 for invisible projects first, then 401/403 below
def project_members(request: Request, project_id: int) -> Response:
    project = _project(request, project_id)
    if request.method == "POST":
        members.require_manager(request.user)
        form = AddMemberSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        membership = members.AddMember(
            user=request.user,
            project=project,
            username=form.validated_data["username"],
            role=form.validated_data["role"],
            remote_addr=_remote_addr(request),
        ).execute()
        return Response(MemberSerializer(membership).data, status=status.HTTP_201_CREATED)
    require_user(request.user)
    if not members.can_see_members(request.user, project):
        raise Forbidden(_("Only the project's members may list its members."))
    return Response(_listing(project))


@extend_schema(
    methods=["PATCH"],
    request=RoleSerializer,
    responses=MemberSerializer,
    description="Change the member's role (staff); 409 when the account already has it.",
)
@extend_schema(
    methods=["DELETE"],
    request=None,
    responses={200: MembersSerializer},
    description="End the membership (staff). Answers with the remaining members and the "
    "revisions left without an approver, if this removed the last one.",
)
@api_view(["PATCH", "DELETE"])
@permission_classes([AllowAny])  # as above: the project's visibility decides first
def project_member(request: Request, project_id: int, membership_id: int) -> Response:
    project = _project(request, project_id)
    members.require_manager(request.user)  # before the lookup: ids do not leak either
    membership = project.memberships.filter(pk=membership_id).first()
    if membership is None:
        raise NotFound(_("No such membership."))
    if request.method == "DELETE":
        members.RemoveMember(
            user=request.user, membership=membership, remote_addr=_remote_addr(request)
        ).execute()
        return Response(_listing(project))
    form = RoleSerializer(data=request.data)
    form.is_valid(raise_exception=True)
    membership = members.ChangeMemberRole(
        user=request.user,
        membership=membership,
        role=form.validated_data["role"],
        remote_addr=_remote_addr(request),
    ).execute()
    return Response(MemberSerializer(membership).data)
