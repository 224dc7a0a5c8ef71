"""Operations: requests with a bad Host header (scanners) do not fill errors.log with
tracebacks, and uploads in progress are spooled under PLANNING_VAR_DIR, not the system /tmp."""

from __future__ import annotations

import logging
import logging.config
from pathlib import Path

from django.conf import settings
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.test import Client

from planning.log_files import ERROR_LOG_NAME


def test_a_bad_host_is_one_warning_line_not_an_error_with_traceback(log_dir, caplog):
    with caplog.at_level(logging.INFO):
        response = Client().get("/map/", HTTP_HOST="scanner.example.invalid")
    assert response.status_code == 400
    [record] = [r for r in caplog.records if r.name == "django.security.DisallowedHost"]
    assert (record.levelname, record.exc_info) == ("WARNING", None)
    assert "scanner.example.invalid" in record.getMessage()
    # Other security errors keep their level and traceback.
    try:
        raise RuntimeError("a real fault")
    except RuntimeError:
        logging.getLogger("django.security.SuspiciousFileOperation").exception("path escape")
    errors = (log_dir / ERROR_LOG_NAME).read_text()
    assert "scanner.example.invalid" not in errors
    assert "ERROR django.security.SuspiciousFileOperation" in errors
    assert "RuntimeError: a real fault" in errors


def test_uploads_in_progress_are_spooled_under_the_var_dir():
    spool = Path(settings.FILE_UPLOAD_TEMP_DIR)
    assert spool.is_dir()
    assert spool.parent == Path(settings.PLANNING_VAR_DIR)
    handler = TemporaryFileUploadHandler()
    handler.new_file("file", "plan.dxf", "application/octet-stream", 20 * 1024 * 1024)
    try:
        assert Path(handler.file.temporary_file_path()).parent == spool
    finally:
        handler.file.close()
