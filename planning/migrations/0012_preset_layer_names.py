"""Mapping presets under the layer names the importers list: AutoCAD's \\U+XXXX escapes
decoded and NFC, as importers.cad.mapping.layer_name reads them (frozen here). Presets
saved before the readers decoded escaped layer names would otherwise no longer match them."""

import unicodedata

from django.db import migrations
from ezdxf.lldxf.encoding import decode_dxf_unicode, decode_mif_to_unicode


def layer_name(name: str) -> str:
    if "\\U+" in name:
        name = decode_dxf_unicode(name)
    if "\\M+" in name:
        name = decode_mif_to_unicode(name)
    return unicodedata.normalize("NFC", name)


def rename_layers(apps, schema_editor):
    preset_model = apps.get_model("planning", "MappingPreset")
    for preset in preset_model.objects.all():
        named = {layer_name(layer): kind for layer, kind in preset.mapping.items()}
        if named != preset.mapping:
            preset.mapping = named
            preset.save(update_fields=["mapping"])


class Migration(migrations.Migration):
    dependencies = [("planning", "0011_login_failure_counters")]

    operations = [migrations.RunPython(rename_layers, migrations.RunPython.noop)]
