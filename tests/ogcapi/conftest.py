"""OGC API fixtures: the test plans declare their attribute schema, as imports record it.

Items carry only the published properties (tiles.feature_types.properties_of): the kind's
schema, `category`, and what the layers' attribute_schema declares. The shared fixtures
create layers without a schema, so `name` would not be served: the WFS tests' fixtures,
which declare it, serve here too.
"""

from tests.wfs.conftest import draft_plan, plan_in_force  # noqa: F401 - fixtures
