"""The public vector-tile cache on disk: <PLANNING_TILE_CACHE_DIR>/vtiles/<generation>/<variant>/….

Only tiles for anonymous callers are stored (they show plans in force only). The
directory is keyed by the in-force generation, so after an approval the same URL is
rendered anew; older generations are deleted when plan_in_force_changed fires, and when a
process first writes into a new generation (another process may have approved). Inside a
generation, tiles are keyed by the encoding's variant (vector_tile_views.TILE_VARIANT), so
a release that changes what a tile holds never serves tiles an older release stored.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

from django.conf import settings

from tiles.generation import current_generation

log = logging.getLogger(__name__)


def cache_root() -> Path:
    return Path(settings.PLANNING_TILE_CACHE_DIR) / "vtiles"


def tile_path(generation: str, variant: str, source: str, z: int, x: int, y: int) -> Path:
    """Where a tile lives; `source` is a validated source name (no path separators)."""
    return cache_root() / generation / variant / source / str(z) / str(x) / f"{y}.pbf"


def read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def write(path: Path, data: bytes) -> None:
    """Store atomically (a reader never sees half a tile); a full disk only loses caching."""
    generation, variant = path.relative_to(cache_root()).parts[:2]
    generation_dir = cache_root() / generation
    is_new = not generation_dir.exists()
    new_variant = not (generation_dir / variant).exists()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except OSError as exc:
        log.warning("vector tile cache: cannot write %s: %s", path, exc)
        return
    if is_new:
        purge(keep=generation_dir.name)
    elif new_variant:  # a release changed the encoding: the older one is never read again
        _purge_variants(generation_dir, keep=variant)


def _purge_variants(generation_dir: Path, keep: str) -> None:
    for path in generation_dir.iterdir():
        if path.is_dir() and path.name != keep:
            shutil.rmtree(path, ignore_errors=True)


def purge(keep: str | None) -> list[Path]:
    """Delete every generation's directory except `keep`."""
    root = cache_root()
    if not root.is_dir():
        return []
    removed = []
    for path in root.iterdir():
        if path.is_dir() and path.name != keep:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def on_plan_in_force_changed(sender: object, **kwargs: object) -> None:
    """What is in force changed: tiles of older generations will never be served again."""
    purge(keep=current_generation())
