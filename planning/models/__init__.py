"""The planning domain: projects, revisions, layers, features, catalogue, audit."""

from planning.models.audit import AuditEvent
from planning.models.catalogue import LandUseCategory
from planning.models.layers import Feature, Layer
from planning.models.projects import Membership, Project
from planning.models.revisions import Revision, RevisionState

__all__ = [
    "AuditEvent",
    "Feature",
    "LandUseCategory",
    "Layer",
    "Membership",
    "Project",
    "Revision",
    "RevisionState",
]
