"""Named mapping presets: the layer mapping, encoding and CRS an institute reuses."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from importers.cad.convert import check_mapping
from importers.cad.crs import normalise_crs
from importers.cad.mapping import parse_mapping
from planning.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound
from planning.models import MappingPreset
from planning.user_text import nfc

ENCODINGS = ("auto", "tcvn3", "vni", "cp1258", "utf-8")
NAME_MAX = 100


def preset_dict(preset: MappingPreset) -> dict:
    return {
        "name": preset.name,
        "mapping": preset.mapping,
        "encoding": preset.encoding,
        "crs": preset.crs,
        "description": preset.description,
        "created_by": preset.created_by.username if preset.created_by else None,
        "updated": preset.updated.isoformat() if preset.updated else None,
    }


def get_preset(name: str) -> MappingPreset:
    preset = MappingPreset.objects.select_related("created_by").filter(name=nfc(name)).first()
    if preset is None:
        raise NotFound(_("No mapping preset named %(name)s.") % {"name": repr(name)})
    return preset


def save_preset(user, data: dict, *, name: str | None = None) -> MappingPreset:
    """Creates a preset (name None) or replaces the one called `name`."""
    _require_user(user)
    fields = _clean(data, name)
    try:
        with transaction.atomic():
            if name is None:
                return MappingPreset.objects.create(created_by=user, **fields)
            preset = MappingPreset.objects.select_for_update().filter(name=nfc(name)).first()
            if preset is None:  # PUT creates
                return MappingPreset.objects.create(created_by=user, **fields)
            _require_owner(user, preset)
            for key, value in fields.items():
                setattr(preset, key, value)
            preset.save()
            return preset
    except IntegrityError as exc:
        raise Conflict(
            _("A mapping preset named %(name)s already exists.") % {"name": repr(fields["name"])}
        ) from exc


def delete_preset(user, name: str) -> None:
    _require_user(user)
    preset = get_preset(name)
    _require_owner(user, preset)
    preset.delete()


def _clean(data: dict, name: str | None) -> dict:
    new_name = str(data.get("name") or name or "").strip()
    if not new_name or len(new_name) > NAME_MAX or new_name.startswith("{") or "/" in new_name:
        raise InvalidInput(
            _("Give the preset a name of at most 100 characters, without “/” or a leading “{”.")
        )
    mapping = parse_mapping(data.get("mapping"))
    check_mapping(mapping)
    encoding = str(data.get("encoding") or "auto")
    if encoding not in ENCODINGS:
        raise InvalidInput(
            _("Unknown text encoding %(encoding)s; expected one of %(encodings)s.")
            % {"encoding": repr(encoding), "encodings": ", ".join(ENCODINGS)}
        )
    crs = str(data.get("crs") or "").strip()
    normalise_crs(crs)  # refuses unknown CRSs and provinces
    return {
        "name": new_name,
        "mapping": mapping,
        "encoding": encoding,
        "crs": crs,
        "description": str(data.get("description") or "")[:2000],
    }


def _require_user(user) -> None:
    if user is None or not user.is_authenticated:
        raise NotAuthenticated(_("Sign in to manage mapping presets."))


def _require_owner(user, preset: MappingPreset) -> None:
    # A preset whose author is gone is shared by every institute: only admins change it.
    if not (
        user.is_superuser or (preset.created_by_id is not None and preset.created_by_id == user.pk)
    ):
        raise Forbidden(_("Only the preset's author may change or delete it."))
