"""Domain events other parts subscribe to (tiles purge caches on them)."""

from django.dispatch import Signal

# Sent with revision=<Revision> after what is in force changed (approval, supersession).
plan_in_force_changed = Signal()
