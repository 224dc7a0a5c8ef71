"""WFS fixtures: the test plans declare their attribute schema, as imports record it.

The WFS serves only allow-listed properties: the kind's schema plus what the layer's
attribute_schema declares (tiles.feature_types.properties_of). The shared fixtures
create layers without a schema, so `name` would not be served.
"""

from __future__ import annotations

import pytest

from planning.models import Revision
from tests.conftest import declare_lot_schema as declare


@pytest.fixture
def plan_in_force(plan_in_force: Revision) -> Revision:
    return declare(plan_in_force)


@pytest.fixture
def draft_plan(draft_plan: Revision) -> Revision:
    return declare(draft_plan)
