"""Parsing the CAD layer mapping a user gives: JSON text, a JSON file, or a dict."""

from __future__ import annotations

import json
from pathlib import Path

from django.utils.translation import gettext as _

from planning.errors import InvalidInput


def parse_mapping(value: str | dict | None) -> dict[str, str]:
    """{CAD layer: planning kind or "ignore"}; "*" maps every layer not named."""
    if value is None or value == "":
        raise InvalidInput(_('Give the CAD layer mapping, e.g. {"LOTS": "landuse"}.'))
    if isinstance(value, dict):
        data = value
    else:
        text = value.strip()
        if not text.startswith("{") and Path(text).is_file():
            text = Path(text).read_text(encoding="utf-8")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(_("The mapping is not valid JSON: %(e)s") % {"e": exc}) from exc
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise InvalidInput(_("The mapping must be a JSON object of CAD layer → kind."))
    return data
