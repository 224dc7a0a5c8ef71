"""Per-language date formats that replace Django's own (settings.FORMAT_MODULE_PATH)."""
