"""The Vietnamese catalogue is complete, NFC, and keeps every placeholder."""

import re
import unicodedata
from pathlib import Path

import pytest
from rest_framework.test import APIClient

PO = Path(__file__).resolve().parents[2] / "locale" / "vi" / "LC_MESSAGES" / "django.po"
ENTRY = re.compile(r'msgid ((?:".*"\n)+)msgstr ((?:".*"\n)+)')
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def entries() -> list[tuple[str, str]]:
    text = PO.read_text(encoding="utf-8")
    join = lambda block: "".join(re.findall(r'"(.*)"', block))  # noqa: E731
    return [(join(i), join(s)) for i, s in ENTRY.findall(text) if join(i)]


def test_every_message_is_translated_in_nfc_with_its_placeholders():
    found = entries()
    assert len(found) > 100
    for msgid, msgstr in found:
        assert msgstr, f"untranslated: {msgid}"
        assert unicodedata.is_normalized("NFC", msgstr), msgid
        assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(msgstr)), msgid
    assert "#, fuzzy" not in PO.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("language", "expected"),
    [("vi", "Tệp không phải là tệp nén zip hợp lệ"), ("en", "not a valid zip archive")],
)
def test_upload_errors_speak_the_callers_language(
    planner, draft_plan, tmp_path, language, expected
):
    client = APIClient()
    client.force_authenticate(planner)
    bad = tmp_path / "broken.zip"
    bad.write_bytes(b"PK\x03\x04garbage")
    with bad.open("rb") as handle:
        response = client.post(
            f"/api/revisions/{draft_plan.id}/uploads/",
            {"file": handle, "kind": "landuse", "name": "x"},
            format="multipart",
            HTTP_ACCEPT_LANGUAGE=language,
        )
    assert response.status_code == 400
    assert expected in response.json()["detail"]
