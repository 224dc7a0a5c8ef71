"""The province → TM-3 zone table agrees with EPSG's own area of use of each zone.

EPSG names, for every VN-2000 TM-3 zone with its own code (9205–9218, 5899), the provinces
that use it (from Circular 973/2001). Every province named there must get that zone from
importers.cad.provinces; the provinces named nowhere are those of the two zones without a
code of their own (105°00′, 108°00′)."""

from __future__ import annotations

import csv
import re

from django.utils.text import slugify

from importers.cad.provinces import province_presets, province_slug
from planning.crs import ZONES_CSV

_NOISE = re.compile(r"\b(provinces?|cities|city|municipality)\b")
_WITHOUT_OWN_CODE = {105.0, 108.0}


def _slug(epsg_name: str) -> str:
    slug = slugify(_NOISE.sub("", epsg_name).strip())
    return "thanh-pho-ho-chi-minh" if slug == "ho-chi-minh" else slug


def epsg_provinces() -> dict[str, float]:
    """Province slug → central meridian, from the zones whose area of use names provinces."""
    found: dict[str, float] = {}
    with ZONES_CSV.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            area = row["area_of_use"]
            if row["deprecated"] == "1" or ("province" not in area and "cities" not in area):
                continue
            names = area.removeprefix("Vietnam - ").rstrip(".")
            for part in re.split(r";|,| and ", names):
                if part.strip():
                    found[_slug(part)] = float(row["central_meridian"])
    return found


def test_every_province_epsg_names_gets_its_zone():
    ours = {preset.slug: preset.central_meridian for preset in province_presets()}
    theirs = epsg_provinces()
    assert len(theirs) >= 50  # the parse found the lists
    unknown = sorted(set(theirs) - set(ours))
    assert unknown == []
    wrong = {
        slug: (ours[slug], meridian)
        for slug, meridian in theirs.items()
        if abs(ours[slug] - meridian) > 1e-9
    }
    assert wrong == {}


def test_provinces_epsg_names_nowhere_use_the_zones_without_their_own_code():
    theirs = epsg_provinces()
    rest = {p.slug: p.central_meridian for p in province_presets() if p.slug not in theirs}
    assert rest, "some provinces use 105°00′ or 108°00′"
    assert {slug for slug, meridian in rest.items() if meridian not in _WITHOUT_OWN_CODE} == set()
    assert province_slug("Thừa Thiên Huế") in theirs
