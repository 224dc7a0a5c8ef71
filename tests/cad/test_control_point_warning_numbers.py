"""The two-point fix's scale warning writes its number as the reader's language does (QA
walk L4: "tỷ lệ 0.6255" beside the page's "0,62554")."""

from __future__ import annotations

from django.utils import translation

from importers.control_points import scale_warning


def test_the_scale_warning_writes_the_scale_in_the_readers_language():
    for language, written, not_written in (
        ("vi", "0,62554", "0.62554"),
        ("en", "0.62554", "0,62554"),
    ):
        with translation.override(language):
            warning = scale_warning({"scale": 0.62554})
        assert warning
        assert written in warning, language
        assert not_written not in warning, language


def test_the_scale_warning_stays_vietnamese():
    with translation.override("vi"):
        assert "Hai điểm khống chế cho tỷ lệ 0,62554," in scale_warning({"scale": 0.62554})
