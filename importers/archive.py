"""Safe handling of uploaded archives: no path traversal, no zip bombs, no links."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path, PurePosixPath

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from planning.errors import InvalidInput, PayloadTooLarge

MAX_MEMBERS = 10_000


def _safe_member_path(name: str) -> PurePosixPath:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise InvalidInput(
            _("The archive contains an unsafe path: %(name)s.") % {"name": repr(name)}
        )
    return path


def extract_zip(archive: Path, target: Path, max_total_bytes: int) -> None:
    """Extract `archive` into `target`, refusing anything that could escape or explode."""
    try:
        handle = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InvalidInput(
            _("The file is not a valid zip archive (corrupt or truncated).")
        ) from exc
    with handle:
        members = handle.infolist()
        if len(members) > MAX_MEMBERS:
            raise InvalidInput(
                _("The archive has more than %(count)d entries.") % {"count": MAX_MEMBERS}
            )
        expanded = sum(m.file_size for m in members)
        if expanded > max_total_bytes:
            raise PayloadTooLarge(
                _("The archive expands to %(size)s; at most %(limit)s are accepted.")
                % {"size": filesizeformat(expanded), "limit": filesizeformat(max_total_bytes)}
            )
        for member in members:
            relative = _safe_member_path(member.filename)
            if stat.S_ISLNK(member.external_attr >> 16):
                raise InvalidInput(
                    _("The archive contains a symbolic link: %(name)s.")
                    % {"name": repr(member.filename)}
                )
            if member.is_dir():
                continue
            destination = target.joinpath(*relative.parts)
            destination.parent.mkdir(parents=True, exist_ok=True)
            try:
                with handle.open(member) as source, destination.open("wb") as sink:
                    _copy_limited(source, sink, member.file_size)
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise InvalidInput(
                    _("The archive member %(name)s cannot be read (corrupt archive).")
                    % {"name": repr(member.filename)}
                ) from exc


def _copy_limited(source, sink, declared: int) -> None:
    # The declared size is checked above; a member that inflates beyond it is hostile.
    written = 0
    while chunk := source.read(1 << 20):
        written += len(chunk)
        if written > declared:
            raise InvalidInput(_("An archive member is larger than its header declares."))
        sink.write(chunk)
