"""Vietnamese dates as Vietnamese documents write them, day/month/year with slashes
("16:04 27/11/2026", a decision "ngày 27/11/2026"): Django's "vi" formats use hyphens
("27-11-2026"). The rest (long formats, separators) stays Django's."""

SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "H:i d/m/Y"

# What a Vietnamese reader types back: day first, never Django's month-first default.
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d"]
DATETIME_INPUT_FORMATS = ["%H:%M %d/%m/%Y", "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
