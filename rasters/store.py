"""Housekeeping of the raster store: files that no raster row refers to.

A COG is moved into the store (PLANNING_RASTER_DIR/r<revision>/<uuid>.tif) inside the
transaction that inserts its row, so a worker killed between the move and the commit leaves
a file without a row; rows removed with their revision or in the admin leave theirs too.
Nothing else would ever delete them. A file is removed once it is older than
ORPHAN_AGE and no row names it: a save in progress commits within seconds of its move.
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


def unreferenced_files(min_age: float = ORPHAN_AGE) -> list[Path]:
    """Store files older than `min_age` that no row's cog_path or raw_path names."""
    root = Path(settings.PLANNING_RASTER_DIR)
    if not root.is_dir():
        return []
    referenced: set[str] = set()
    for cog, raw in RasterLayer.objects.values_list("cog_path", "raw_path").iterator():
        referenced.update(path for path in (cog, raw) if path)
    now, found = time.time(), []
    for directory in _revision_dirs(root):
        for file in directory.iterdir():
            relative = f"{directory.name}/{file.name}"
            try:
                old = now - file.stat().st_mtime > min_age
            except FileNotFoundError:  # removed meanwhile
                continue
            if old and relative not in referenced:
                found.append(file)
    return found


def sweep_store(min_age: float = ORPHAN_AGE) -> int:
    """Removes the unreferenced files (and revision directories left empty); their count."""
    files = unreferenced_files(min_age)
    for file in files:
        file.unlink(missing_ok=True)
        try:
            file.parent.rmdir()
        except OSError:
            pass  # other rasters of the revision remain
    if files:
        logger.warning("removed %d raster files no layer refers to", len(files))
    return len(files)
