"""English dates in year-month-day order with a 24-hour clock: Django's "en" formats are US
("11/27/2026 4:04 p.m."), which a reader outside the US takes for 11 February. These are the
formats of every date on the review page, in the comments (API created_display) and in the
review dossier; Vietnamese has its own (planning/formats/vi: "16:04 27/11/2026")."""

SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
