"""A cancel takes effect while a large drawing's entities are walked, not only after."""

from __future__ import annotations

import pytest

from importers.cad import convert as cad_convert
from importers.cad import fastdxf
from importers.cad.convert import CadOptions, convert
from tests.cad.big_drawings import BIG_MAPPING, many_lots


class Cancelled(Exception):
    pass


def test_progress_ticks_during_the_walk_and_a_cancel_stops_it(tmp_path, monkeypatch):
    path = many_lots(tmp_path / "lots.dxf", 3000)  # 6,000 entities: lots and labels
    monkeypatch.setattr(cad_convert, "WALK_TICK", 1000)
    seen: list[float] = []

    def progress(pct: float, message: str) -> None:
        seen.append(pct)
        if 15 < pct < 30:
            raise Cancelled

    options = CadOptions(mapping=BIG_MAPPING, fast_reader=False)  # the ezdxf walker
    with pytest.raises(Cancelled):
        convert(path, path.name, options, tmp_path, progress)
    assert seen[-1] == pytest.approx(15 + 15 * 1000 / 6000)  # stopped at the first tick
    assert 30 not in seen  # the walk did not finish


def test_a_walk_without_cancel_reports_increasing_progress(tmp_path, monkeypatch):
    path = many_lots(tmp_path / "lots.dxf", 3000)
    monkeypatch.setattr(cad_convert, "WALK_TICK", 1000)
    seen: list[float] = []
    options = CadOptions(mapping=BIG_MAPPING, fast_reader=False)
    result = convert(path, path.name, options, tmp_path, lambda pct, _: seen.append(pct))
    walking = [pct for pct in seen if 15 < pct < 30]
    assert len(walking) == 5  # at 1,000 … 5,000 of 6,000 entities
    assert walking == sorted(walking)
    assert result.report.features["landuse"] == 1500


def test_the_fast_reader_ticks_and_a_cancel_inside_it_is_not_taken_for_a_fallback(
    tmp_path, monkeypatch
):
    path = many_lots(tmp_path / "lots.dxf", 3000)
    monkeypatch.setattr(fastdxf, "ITEMS_TICK", 1000)
    seen: list[float] = []
    options = CadOptions(mapping=BIG_MAPPING)  # the fast reader
    result = convert(path, path.name, options, tmp_path, lambda pct, _: seen.append(pct))
    reading = [pct for pct in seen if 2 < pct < 15]
    assert len(reading) >= 8  # stages, then every 1,000 of 6,000 entities
    assert reading == sorted(reading)
    assert result.report.features["landuse"] == 1500

    def cancel_while_reading(pct: float, message: str) -> None:
        if 8 < pct < 15:
            raise Cancelled

    walked = []
    monkeypatch.setattr(cad_convert, "_walk", lambda *args: walked.append(1) or [])
    with pytest.raises(Cancelled):
        convert(path, path.name, options, tmp_path, cancel_while_reading)
    assert not walked  # not read again by ezdxf after the cancel
