"""The raster store keeps no file that no layer refers to: a worker killed after moving a
COG into the store but before its row was committed, or a layer deleted with its revision,
leaves one, and the nightly sweep (rasters.store) removes it once it is a day old; files
of layers, and fresh files of saves in progress, stay."""

from __future__ import annotations

import os
import time

import pytest

from rasters import importing
from rasters.importing import import_raster
from rasters.models import RasterLayer
from rasters.store import ORPHAN_AGE, sweep_store, unreferenced_files
from tests.rasters.conftest import SAMPLES, stored_files

pytestmark = pytest.mark.django_db(transaction=True)


class _Killed(BaseException):
    """What a SIGKILL between the move and the commit amounts to: nothing runs after."""


def _import(revision, user):
    path = SAMPLES / "byte.tif"
    return import_raster(
        user=user, revision=revision, path=path, filename=path.name, name="scan", kind="scan"
    )


def _age(path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_a_file_left_by_a_save_that_never_committed_is_swept(
    draft_plan, planner, settings, monkeypatch
):
    kept = _import(draft_plan, planner).raster
    real_move = importing.move_into_place
    left = []

    def move_then_die(output, target):
        real_move(output, target)
        left.append(target)
        # the process dies here: no rollback handler runs, the file stays
        monkeypatch.setattr(target.__class__, "unlink", lambda *a, **k: None)
        raise _Killed

    monkeypatch.setattr(importing, "move_into_place", move_then_die)
    with pytest.raises(_Killed):
        _import(draft_plan, planner)
    monkeypatch.undo()
    (orphan,) = left
    assert orphan.is_file()
    assert RasterLayer.objects.count() == 1  # the row was rolled back, the file was not
    assert unreferenced_files() == []  # fresh: maybe a save in progress
    assert sweep_store() == 0
    for path in stored_files(settings.PLANNING_RASTER_DIR):
        _age(path, 2 * ORPHAN_AGE)
    assert unreferenced_files() == [orphan]
    assert sweep_store() == 1
    assert not orphan.exists()
    assert kept.cog_file().is_file()  # a layer's file, however old, stays
    assert stored_files(settings.PLANNING_RASTER_DIR) == [kept.cog_file()]


def test_the_files_of_deleted_layers_go_and_their_empty_directories_too(
    draft_plan, planner, settings
):
    raster = _import(draft_plan, planner).raster
    path = raster.cog_file()
    raster.delete()
    _age(path, 2 * ORPHAN_AGE)
    assert sweep_store() == 1
    assert not path.parent.exists()
    assert stored_files(settings.PLANNING_RASTER_DIR) == []
