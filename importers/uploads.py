"""Hands an uploaded file (web page or API) to the importer as a real file with its suffix.

The importers pick a reader by the file name (.zip, .dxf, .gpkg ...), and Django keeps
small uploads in memory, so every upload is written to a private temporary directory that
is removed as soon as the import is over, whatever its outcome.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.uploadedfile import UploadedFile
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from importers.service import ImportResult, import_upload
from planning.errors import PayloadTooLarge
from planning.models import Revision


def safe_filename(original: str) -> str:
    """The base name of the upload without path parts or odd characters, suffix kept."""
    base = Path(original.replace("\\", "/")).name
    try:
        return get_valid_filename(base)
    except SuspiciousFileOperation:
        return "upload" + Path(base).suffix.lower()


def _write(upload: UploadedFile, target: Path) -> None:
    with target.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)


def check_size(upload: UploadedFile) -> None:
    """413 for an upload over PLANNING_MAX_UPLOAD_MB (before anything is written)."""
    if upload.size is not None and upload.size > settings.PLANNING_MAX_UPLOAD_BYTES:
        limit = settings.PLANNING_MAX_UPLOAD_BYTES // (1024 * 1024)
        raise PayloadTooLarge(
            _("The file is larger than the %(limit)d MB upload limit.") % {"limit": limit}
        )


def store_for_job(upload: UploadedFile, path: Path) -> Path:
    """The upload written to `path` in a job's directory, created empty: a leftover of a
    recreated database's job of the same id must not join it. The caller removes the
    directory if the job cannot go ahead."""
    shutil.rmtree(path.parent, ignore_errors=True)
    path.parent.mkdir(parents=True)
    _write(upload, path)
    return path


def import_uploaded_file(
    *,
    user,
    revision: Revision,
    upload: UploadedFile,
    kind: str,
    name: str,
    crs: str | None,
    source_layer: str | None,
    remote_addr: str | None,
    text_encoding: str = "auto",
) -> ImportResult:
    """Writes the upload to a temporary file, imports it, and always removes the file."""
    check_size(upload)
    filename = safe_filename(upload.name or "upload")
    with tempfile.TemporaryDirectory(prefix="webmap-upload-") as tmp:
        path = Path(tmp) / filename
        _write(upload, path)
        return import_upload(
            user=user,
            revision=revision,
            path=path,
            filename=upload.name or filename,
            kind=kind,
            name=name,
            crs=crs,
            source_layer=source_layer,
            text_encoding=text_encoding,
            remote_addr=remote_addr,
        )


@contextmanager
def uploaded_file(upload: UploadedFile) -> Iterator[tuple[Path, str]]:
    """(path, original name) of an upload written to a private temporary directory."""
    check_size(upload)
    filename = safe_filename(upload.name or "upload")
    with tempfile.TemporaryDirectory(prefix="webmap-upload-") as tmp:
        path = Path(tmp) / filename
        _write(upload, path)
        yield path, upload.name or filename
