"""``{% view3d_config config revision %}``: the 3D view's configuration as a json_script."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import json_script
from django.utils.safestring import SafeString

from planning.models import Revision
from webmap import view3dconfig
from webmap.mapconfig import FALLBACK_CENTER

register = template.Library()


@register.simple_tag
def view3d_config(page_config: dict[str, Any], revision: Revision | None = None) -> SafeString:
    """`page_config` is the page's own configuration (its extent); `revision` the revision
    under review, if any."""
    config = view3dconfig.build(
        extent=page_config.get("extent"),
        fallback_center=page_config.get("fallbackCenter") or list(FALLBACK_CENTER),
        revision=revision if isinstance(revision, Revision) else None,
    )
    return json_script(config, "view3d-config")
