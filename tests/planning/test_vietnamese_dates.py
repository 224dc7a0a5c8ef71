"""Vietnamese dates are written and read day first ("05/11/2026" is 5 November)."""

from __future__ import annotations

from datetime import date, datetime

from django import forms
from django.utils import formats, translation


def test_vietnamese_dates_are_written_day_first_with_slashes():
    with translation.override("vi"):
        assert formats.date_format(date(2026, 11, 5), "SHORT_DATE_FORMAT") == "05/11/2026"
        moment = datetime(2026, 11, 5, 16, 4)
        assert formats.date_format(moment, "SHORT_DATETIME_FORMAT") == "16:04 05/11/2026"


def test_vietnamese_dates_typed_back_are_read_day_first():
    with translation.override("vi"):
        assert forms.DateField().clean("05/11/2026") == date(2026, 11, 5)
        assert forms.DateTimeField().clean("16:04 05/11/2026").day == 5
    with translation.override("en"):
        assert forms.DateField().clean("2026-11-05") == date(2026, 11, 5)
