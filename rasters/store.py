"""Housekeeping of the raster store: files that no raster row refers to.

A COG is moved into the store (PLANNING_RASTER_DIR/r<revision>/<uuid>.tif) inside the
transaction that inserts its row, so a worker killed between the move and the commit leaves
a file without a row; rows removed with their revision or in the admin leave theirs too.
Nothing else would ever delete them. A file is removed once its inode has not changed for
ORPHAN_AGE and no row names it: a save in progress commits within seconds of its move. The
age is the later of mtime and ctime because a revision that answers another gets hard links
(rasters.signals): a link keeps the old file's mtime, but its creation updates the ctime, so
a copy whose row is not committed yet is as young as a fresh save. Revision directories go
once they have been empty for as long, not when their last file goes, so the sweep never
removes a directory a save has just made.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

from rasters.models import RasterLayer

logger = logging.getLogger(__name__)

ORPHAN_AGE = 86400.0  # seconds


def _revision_dirs(root: Path) -> Iterator[Path]:
    for entry in root.iterdir():
        if entry.is_dir() and entry.name.startswith("r") and entry.name[1:].isdecimal():
            yield entry


def _unchanged_for(path: Path, now: float) -> float:
    """Seconds since the path's inode last changed (contents, links or renames)."""
    info = path.stat()
    return now - max(info.st_mtime, info.st_ctime)


def unreferenced_files(min_age: float = ORPHAN_AGE, now: float | None = None) -> list[Path]:
    """Store files unchanged for `min_age` that no row's cog_path or raw_path names."""
    root = Path(settings.PLANNING_RASTER_DIR)
    if not root.is_dir():
        return []
    referenced: set[str] = set()
    for cog, raw in RasterLayer.objects.values_list("cog_path", "raw_path").iterator():
        referenced.update(path for path in (cog, raw) if path)
    now, found = time.time() if now is None else now, []
    for directory in _revision_dirs(root):
        for file in directory.iterdir():
            relative = f"{directory.name}/{file.name}"
            try:
                old = _unchanged_for(file, now) > min_age
            except FileNotFoundError:  # removed meanwhile
                continue
            if old and relative not in referenced:
                found.append(file)
    return found


def _remove_empty_dirs(min_age: float, now: float) -> None:
    root = Path(settings.PLANNING_RASTER_DIR)
    if not root.is_dir():
        return
    for directory in _revision_dirs(root):
        try:
            if _unchanged_for(directory, now) > min_age:
                directory.rmdir()  # fails unless empty
        except OSError:
            pass  # not empty, or removed meanwhile


def sweep_store(min_age: float = ORPHAN_AGE, now: float | None = None) -> int:
    """Removes the unreferenced files, and revision directories empty for `min_age`; the
    count of files. `now` (seconds since the epoch) is for tests."""
    now = time.time() if now is None else now
    _remove_empty_dirs(min_age, now)
    files = unreferenced_files(min_age, now)
    for file in files:
        file.unlink(missing_ok=True)
    if files:
        logger.warning("removed %d raster files no layer refers to", len(files))
    return len(files)
