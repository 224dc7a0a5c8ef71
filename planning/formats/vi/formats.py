"""Vietnamese dates as Vietnamese documents write them, day/month/year with slashes
("16:04 27/11/2026", a decision "ngày 27/11/2026"): Django's "vi" formats use hyphens
("27-11-2026"). The rest (long formats, separators) stays Django's."""

SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "H:i d/m/Y"
