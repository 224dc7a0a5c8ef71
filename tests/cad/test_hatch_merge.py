"""A hatch that fills a lot already bounded by lines is the same lot when their intersection
over union reaches SAME_LOT. Most hatches follow their lot's outline to within the snap of
its linework, and those are judged by a vertex-shift bound instead of an overlay: the bound
must never call "same" what the overlay would not."""

from __future__ import annotations

import numpy as np
import shapely

from importers.cad import build


def _overlay_same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    common = shapely.area(shapely.intersection(a, b))
    union = shapely.area(shapely.union(a, b))
    return common / union >= build.SAME_LOT


def _random_lots(rng: np.random.Generator, count: int) -> np.ndarray:
    """Irregular convex and concave lots, 1 to 60 m across."""
    lots = []
    for _ in range(count):
        size = rng.uniform(1, 60)
        angles = np.sort(rng.uniform(0, 2 * np.pi, rng.integers(3, 9)))
        radii = size * rng.uniform(0.4, 1.0, len(angles))
        ring = np.column_stack([radii * np.cos(angles), radii * np.sin(angles)])
        lot = shapely.Polygon(ring + rng.uniform(5e5, 6e5, 2))
        lots.append(lot if lot.is_valid else lot.convex_hull)
    return np.asarray(lots, dtype=object)


def _shifted(rng: np.random.Generator, lots: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Each lot with every vertex moved by `scale`: every other lot grown (each vertex away
    from the centre, the worst case for the bound), the others in random directions."""
    shifted = []
    for number, (lot, size) in enumerate(zip(lots, scale, strict=True)):
        ring = np.asarray(lot.exterior.coords)[:-1]
        if number % 2:
            away = ring - np.asarray(lot.centroid.coords[0])
            ring = ring + size * away / np.hypot(*away.T)[:, None]
        else:
            ring = ring + rng.uniform(-size, size, ring.shape)
        shifted.append(shapely.Polygon(ring))
    return np.asarray(shifted, dtype=object)


def test_the_shift_bound_agrees_with_the_overlay_on_every_pair():
    rng = np.random.default_rng(20261127)
    lots = _random_lots(rng, 4000)
    # shifts from a ten-thousandth to a third of the lot's size: many pairs near the threshold
    sizes = np.sqrt(shapely.area(lots)) * np.exp(rng.uniform(np.log(1e-4), np.log(0.3), 4000))
    hatches = _shifted(rng, lots, sizes)
    valid = shapely.is_valid(hatches)
    lots, hatches = lots[valid], hatches[valid]
    expected = _overlay_same(hatches, lots)
    assert 0.2 < expected.mean() < 0.9  # both answers well represented
    assert np.array_equal(build._same_lot(hatches, lots), expected)


def test_snapped_linework_is_judged_without_an_overlay():
    """The common case (vertices a couple of centimetres off) takes the bound, not the
    overlay; a hatch over half its lot does not."""
    lot = shapely.box(558000, 1819000, 558030, 1819020)
    hatch = shapely.Polygon(
        [(558000.01, 1819000.0), (558030.0, 1819000.02), (558029.99, 1819020.0), (558000, 1819020)]
    )
    half = shapely.box(558000, 1819000, 558015, 1819020)
    a, b = np.asarray([hatch, half], dtype=object), np.asarray([lot, lot], dtype=object)
    shift = build._bounded_shift(shapely.area(a), shapely.length(a))
    assert build._vertices_within(a, b, shift).tolist() == [True, False]
    assert build._same_lot(a, b).tolist() == [True, False]


def test_a_hatch_with_a_hole_is_judged_by_the_overlay():
    lot = shapely.box(0, 0, 30, 20)
    courtyard = shapely.Polygon(lot.exterior.coords, [shapely.box(10, 5, 20, 15).exterior.coords])
    a, b = np.asarray([courtyard], dtype=object), np.asarray([lot], dtype=object)
    shift = build._bounded_shift(shapely.area(a), shapely.length(a))
    assert not build._vertices_within(a, b, shift).any()
    assert build._same_lot(a, b).tolist() == _overlay_same(a, b).tolist() == [False]
