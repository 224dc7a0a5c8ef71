from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from planning.api import decision_document, members, review, views
from planning.api.token_view import obtain_token

router = DefaultRouter()
router.register("projects", views.ProjectViewSet, basename="project")
router.register("revisions", views.RevisionViewSet, basename="revision")
router.register("layers", views.LayerViewSet, basename="layer")
router.register("features", views.FeatureViewSet, basename="feature")
router.register("categories", views.CategoryViewSet, basename="category")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("token/", obtain_token, name="api-token"),
    path("feature-info/", views.feature_info, name="feature-info"),
    path("revisions/<int:revision_id>/qa/", review.findings, name="revision-qa"),
    path("revisions/<int:revision_id>/qa/repair/", review.repair, name="revision-qa-repair"),
    path("revisions/<int:revision_id>/balance/", review.balance, name="revision-balance"),
    path("revisions/<int:revision_id>/changes/", review.changes, name="revision-changes"),
    path("revisions/<int:revision_id>/comments/", review.comments, name="revision-comments"),
    path(
        "revisions/<int:revision_id>/decision.pdf",
        decision_document.decision_document,
        name="revision-decision-document",
    ),
    path("comments/<int:comment_id>/", review.comment_status, name="comment-status"),
    path("projects/<int:project_id>/members/", members.project_members, name="project-members"),
    path(
        "projects/<int:project_id>/members/<int:membership_id>/",
        members.project_member,
        name="project-member",
    ),
    *router.urls,
]
