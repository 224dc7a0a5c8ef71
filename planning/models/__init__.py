"""The planning domain: projects, revisions, layers, features, catalogue, audit."""

from planning.models.audit import AuditEvent
from planning.models.catalogue import LandUseCategory
from planning.models.jobs import Job, JobState, MappingPreset
from planning.models.layers import (
    Feature,
    Layer,
    PublicId,
    by_public_id,
    public_id_sql,
    public_ids_q,
)
from planning.models.projects import Membership, Project
from planning.models.review import Comment, QAFinding, SupersededFeature
from planning.models.revisions import PUBLISHED_STATES, Revision, RevisionState
from planning.models.security import LoginFailureCounter

__all__ = [
    "PUBLISHED_STATES",
    "AuditEvent",
    "Comment",
    "Feature",
    "Job",
    "JobState",
    "LandUseCategory",
    "Layer",
    "LoginFailureCounter",
    "MappingPreset",
    "Membership",
    "Project",
    "PublicId",
    "QAFinding",
    "Revision",
    "RevisionState",
    "SupersededFeature",
    "by_public_id",
    "public_id_sql",
    "public_ids_q",
]
