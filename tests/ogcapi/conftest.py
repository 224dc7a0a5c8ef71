"""OGC API fixtures: the test plans declare their attribute schema, as imports record it.

Items carry only the published properties (tiles.feature_types.properties_of): the kind's
schema, `category`, and what the layers' attribute_schema declares. The shared fixtures
create layers without a schema, so `name` would not be served.
"""

from __future__ import annotations

import pytest

from planning.models import Revision
from tests.ogcapi.helpers import declare


@pytest.fixture
def plan_in_force(plan_in_force: Revision) -> Revision:
    return declare(plan_in_force)


@pytest.fixture
def draft_plan(draft_plan: Revision) -> Revision:
    return declare(draft_plan)
