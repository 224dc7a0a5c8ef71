"""VN-2000 TM-3 zone of each of the 63 provinces (central meridians of the official table,
Circular 973/2001/TT-TCĐC), as EPSG codes of our VN-2000 catalogue (planning/crs.py).

Drawings of a province use its TM-3 zone; `crs=province:<slug>` picks it by the slug.
Names are NFC Vietnamese. The 2025 province mergers did not change the zones of the
areas: a drawing keeps the zone of the former province it was made in.

tests/cad/test_provinces_epsg.py checks the table against EPSG's area of use of each zone:
the 53 provinces EPSG names under a zone of their own get that zone; the other 10 use the
zones without a code of their own (105°00′, and 108°00′ for Quảng Ngãi).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache

from django.utils.text import slugify

from planning import crs as planning_crs

# (province, central meridian as "DDD-MM")
_TABLE = (
    ("Lai Châu", "103-00"),
    ("Điện Biên", "103-00"),
    ("Sơn La", "104-00"),
    ("Lào Cai", "104-45"),
    ("Yên Bái", "104-45"),
    ("Hà Giang", "105-30"),
    ("Tuyên Quang", "106-00"),
    ("Phú Thọ", "104-45"),
    ("Vĩnh Phúc", "105-00"),
    ("Cao Bằng", "105-45"),
    ("Lạng Sơn", "107-15"),
    ("Bắc Kạn", "106-30"),
    ("Thái Nguyên", "106-30"),
    ("Bắc Giang", "107-00"),
    ("Bắc Ninh", "105-30"),
    ("Quảng Ninh", "107-45"),
    ("Hải Phòng", "105-45"),
    ("Hải Dương", "105-30"),
    ("Hưng Yên", "105-30"),
    ("Hà Nội", "105-00"),
    ("Hòa Bình", "106-00"),
    ("Hà Nam", "105-00"),
    ("Nam Định", "105-30"),
    ("Thái Bình", "105-30"),
    ("Ninh Bình", "105-00"),
    ("Thanh Hóa", "105-00"),
    ("Nghệ An", "104-45"),
    ("Hà Tĩnh", "105-30"),
    ("Quảng Bình", "106-00"),
    ("Quảng Trị", "106-15"),
    ("Thừa Thiên Huế", "107-00"),
    ("Đà Nẵng", "107-45"),
    ("Quảng Nam", "107-45"),
    ("Quảng Ngãi", "108-00"),
    ("Bình Định", "108-15"),
    ("Kon Tum", "107-30"),
    ("Gia Lai", "108-30"),
    ("Đắk Lắk", "108-30"),
    ("Đắk Nông", "108-30"),
    ("Phú Yên", "108-30"),
    ("Khánh Hòa", "108-15"),
    ("Ninh Thuận", "108-15"),
    ("Bình Thuận", "108-30"),
    ("Lâm Đồng", "107-45"),
    ("Bình Dương", "105-45"),
    ("Bình Phước", "106-15"),
    ("Đồng Nai", "107-45"),
    ("Bà Rịa - Vũng Tàu", "107-45"),
    ("Tây Ninh", "105-30"),
    ("Long An", "105-45"),
    ("Tiền Giang", "105-45"),
    ("Bến Tre", "105-45"),
    ("Đồng Tháp", "105-00"),
    ("Vĩnh Long", "105-30"),
    ("Trà Vinh", "105-30"),
    ("An Giang", "104-45"),
    ("Kiên Giang", "104-30"),
    ("Cần Thơ", "105-00"),
    ("Hậu Giang", "105-00"),
    ("Sóc Trăng", "105-30"),
    ("Bạc Liêu", "105-00"),
    ("Cà Mau", "104-30"),
    ("Thành phố Hồ Chí Minh", "105-45"),
)


@dataclass(frozen=True)
class ProvincePreset:
    province: str  # NFC Vietnamese
    slug: str
    central_meridian: float
    srid: int

    @property
    def label(self) -> str:
        degrees, minutes = divmod(round(self.central_meridian * 60), 60)
        return f"{self.province} – VN-2000 TM-3 {degrees}°{minutes:02d}′ (EPSG:{self.srid})"

    def as_dict(self) -> dict:
        return {
            "province": self.province,
            "slug": self.slug,
            "srid": self.srid,
            "central_meridian": self.central_meridian,
            "label": self.label,
        }


def province_slug(name: str) -> str:
    plain = unicodedata.normalize("NFC", name).replace("Đ", "D").replace("đ", "d")
    return slugify(plain)


@cache
def province_presets() -> tuple[ProvincePreset, ...]:
    zones = {
        zone.central_meridian: zone.srid
        for zone in planning_crs.vn2000_projected()
        if zone.scale_factor == 0.9999
    }
    presets = []
    for name, meridian in _TABLE:
        degrees, minutes = meridian.split("-")
        central = int(degrees) + int(minutes) / 60
        nfc = unicodedata.normalize("NFC", name)
        presets.append(ProvincePreset(nfc, province_slug(nfc), central, zones[central]))
    return tuple(presets)


def preset_for(slug: str) -> ProvincePreset | None:
    wanted = province_slug(slug)
    return next((p for p in province_presets() if p.slug == wanted), None)
