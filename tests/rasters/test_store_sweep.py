"""The raster store keeps no file that no layer refers to: a worker killed after moving a
COG into the store but before its row was committed, or a layer deleted with its revision,
leaves one, and the nightly sweep (rasters.store) removes it once it is a day old; files
of layers, and fresh files of saves in progress, stay."""

from __future__ import annotations

import os
import threading
import time

import pytest
from django.db import connection

from planning import actions
from planning.actions import CreateRevision
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


def _days_later(days: float = 2) -> float:
    """A clock `days` ahead: utime cannot move a file's ctime back, and the sweep reads it."""
    return time.time() + days * ORPHAN_AGE


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
    assert unreferenced_files(now=_days_later()) == [orphan]
    assert sweep_store(now=_days_later()) == 1
    assert not orphan.exists()
    assert kept.cog_file().is_file()  # a layer's file, however old, stays
    assert stored_files(settings.PLANNING_RASTER_DIR) == [kept.cog_file()]


def test_the_files_of_deleted_layers_go_and_their_empty_directories_too(
    draft_plan, planner, settings
):
    raster = _import(draft_plan, planner).raster
    path = raster.cog_file()
    raster.delete()
    assert sweep_store(now=_days_later()) == 1
    assert not path.exists()
    assert path.parent.is_dir()  # just emptied: a save may be about to move a file in
    assert sweep_store(now=_days_later(0.5)) == 0
    assert path.parent.is_dir()
    assert sweep_store(now=_days_later()) == 0
    assert not path.parent.exists()  # empty for a day
    assert stored_files(settings.PLANNING_RASTER_DIR) == []


def test_an_old_file_linked_for_a_new_revision_is_not_swept_before_its_row_commits(
    draft_plan, planner, monkeypatch
):
    """A revision answering another gets hard links of its rasters inside its transaction;
    a link keeps the old file's mtime, so a sweep on another connection, which does not see
    the uncommitted row yet, must judge the link by its ctime."""
    raster = _import(draft_plan, planner).raster
    then = time.time() - 2 * ORPHAN_AGE  # imported two days ago
    os.utime(raster.cog_file(), (then, then))
    real_copy = actions._copy_layers
    swept = []

    def copy_while_sweeping(*args, **kwargs):
        def sweep():
            try:
                swept.append(sweep_store())
            finally:
                connection.close()

        sweeper = threading.Thread(target=sweep)  # the nightly task, on its own connection
        sweeper.start()
        sweeper.join()
        return real_copy(*args, **kwargs)

    monkeypatch.setattr(actions, "_copy_layers", copy_while_sweeping)
    answer = CreateRevision(user=planner, project=draft_plan.project, based_on=draft_plan).execute()
    copy = RasterLayer.objects.get(revision=answer)
    assert swept == [0]
    assert copy.cog_file().is_file()
    assert raster.cog_file().is_file()
    assert os.path.samefile(copy.cog_file(), raster.cog_file())
