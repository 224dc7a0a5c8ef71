"""The demo plan: a generated 1/500 detailed plan in Hue (EPSG:9214), imported through the
real GeoPackage path, then submitted and approved so that it is in force.

The plan is consistent, so its automatic checks pass: each building keeps behind the
building line (BUILDING_LINE m inside the red line of its block) and covers FILL of its
lot's building density (MĐXD), below the maximum the envelope rules check.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyogrio.raw
import shapely
from django.contrib.auth.models import Group, Permission, User
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.db import transaction

from importers.service import import_upload
from planning.actions import (
    ApproveRevision,
    CreateProject,
    CreateRevision,
    StartReview,
    SubmitRevision,
)
from planning.models import Membership, Project
from threed.extrude import extrude_revision

DEMO_CODE = "demo-hue-1-500"
DEMO_ACCOUNTS = {  # username: (password, role) - demo only, printed by `make run`
    "planner": ("planner-demo", "planner"),
    "reviewer": ("reviewer-demo", "reviewer"),
    "approver": ("approver-demo", "approver"),
    "admin": ("admin-demo", "admin"),
}
ORIGIN = (561400.0, 1821200.0)  # south-west corner of the site, near Hue's reference point
SITE_W, SITE_H, ROAD = 600.0, 400.0, 16.0
BLOCK_FUNCTIONS = [["DO", "DO", "HH", "CC"], ["DO", "CX", "GD", "DO"], ["TMDV", "DO", "YT", "CX"]]
ROAD_NAMES = [
    "Đường Lê Lợi",
    "Đường Hùng Vương",
    "Đường Nguyễn Huệ",
    "Đường Trần Hưng Đạo",
    "Đường Bà Triệu",
]
# function: (name, lots per block (cols, rows), density %, FAR, storeys min, max, has buildings)
RULES = {
    "DO": ("Đất ở mới", (4, 2), 80, 4.0, 3, 5, True),
    "HH": ("Đất hỗn hợp", (3, 1), 60, 6.0, 9, 15, True),
    "CC": ("Đất công cộng", (2, 1), 40, 1.2, 2, 3, True),
    "CX": ("Đất cây xanh", (1, 1), 5, 0.05, 1, 1, False),
    "GD": ("Đất giáo dục", (1, 1), 40, 1.2, 2, 3, True),
    "TMDV": ("Đất thương mại dịch vụ", (2, 1), 60, 5.4, 5, 9, True),
    "YT": ("Đất y tế", (1, 1), 40, 1.6, 3, 4, True),
}
BUILDING_LINE = 3.0  # m from the red line (block outline) to the building line
FILL = 0.9  # share of the lot's building density (MĐXD) the demo buildings cover


@dataclass
class DemoLayers:
    boundary: list
    lots: list[tuple[shapely.Polygon, dict]]
    roads: list[tuple[shapely.Polygon, dict]]
    redlines: list[tuple[shapely.LineString, dict]]
    buildings: list[tuple[shapely.Polygon, dict]]


def _blocks():
    x0, y0 = ORIGIN
    cols, rows = 4, 3
    width = (SITE_W - (cols - 1) * ROAD) / cols
    height = (SITE_H - (rows - 1) * ROAD) / rows
    for row in range(rows):
        for col in range(cols):
            x = x0 + col * (width + ROAD)
            y = y0 + (rows - 1 - row) * (height + ROAD)
            yield (
                f"{'ABC'[row]}{col + 1}",
                BLOCK_FUNCTIONS[row][col],
                shapely.box(x, y, x + width, y + height),
            )


def _lots_of(block_code: str, function: str, block: shapely.Polygon):
    name, (cols, rows), density, far, s_min, s_max, builds = RULES[function]
    minx, miny, maxx, maxy = block.bounds
    dx, dy = (maxx - minx) / cols, (maxy - miny) / rows
    number = 0
    for r in range(rows):
        for c in range(cols):
            number += 1
            lot = shapely.box(
                minx + c * dx, miny + r * dy, minx + (c + 1) * dx, miny + (r + 1) * dy
            )
            attributes = {
                "code": f"{block_code}-{number:02d}",
                "function": function,
                "name": name,
                "area": round(lot.area, 1),
                "density": density,
                "far": far,
                "storeys_min": s_min,
                "storeys_max": s_max,
                "height_max": s_max * 3.6 + 1.5,
            }
            yield lot, attributes, builds


def _building_footprint(lot: shapely.Polygon, density_pct: float) -> shapely.Polygon:
    """The lot shrunk evenly to cover FILL of its density, and at least half a metre
    behind the building line (the envelope QA rules' tolerance is an area, not a margin)."""
    minx, miny, maxx, maxy = lot.bounds
    width, height = maxx - minx, maxy - miny
    share = FILL * density_pct / 100
    # (width - 2x)(height - 2x) = share * width * height, the smaller root
    inset = width + height - math.sqrt((width + height) ** 2 - 4 * width * height * (1 - share))
    inset = max(inset / 4, BUILDING_LINE + 0.5)
    return lot.buffer(-inset, join_style="mitre")


def generate() -> DemoLayers:
    x0, y0 = ORIGIN
    site = shapely.box(x0, y0, x0 + SITE_W, y0 + SITE_H)
    lots, buildings, redlines = [], [], []
    for block_code, function, block in _blocks():
        redlines.append(
            (shapely.LineString(block.exterior.coords), {"type": "red line", "block": block_code})
        )
        inner = block.buffer(-BUILDING_LINE, join_style="mitre")
        redlines.append(
            (
                shapely.LineString(inner.exterior.coords),
                {"type": "building line", "block": block_code},
            )
        )
        for index, (lot, attributes, builds) in enumerate(_lots_of(block_code, function, block)):
            lots.append((lot, attributes))
            if builds:
                storeys = attributes["storeys_min"] + index % (
                    attributes["storeys_max"] - attributes["storeys_min"] + 1
                )
                buildings.append(
                    (
                        _building_footprint(lot, attributes["density"]),
                        {
                            "lot": attributes["code"],
                            "storeys": storeys,
                            "height": round(storeys * 3.6, 1),
                            "use": attributes["name"],
                        },
                    )
                )
    blocks_union = shapely.union_all([lot for lot, _ in lots])
    road_area = site.difference(blocks_union)
    roads = [
        (part, {"name": ROAD_NAMES[i % len(ROAD_NAMES)], "width": ROAD, "function": "GT"})
        for i, part in enumerate(_split_roads(road_area))
    ]
    boundary = [(site, {"name": "Ranh giới quy hoạch"})]
    return DemoLayers(boundary, lots, roads, redlines, buildings)


def _split_roads(road_area):
    """Cut the road network into named street segments (vertical then horizontal)."""
    x0, y0 = ORIGIN
    parts = []
    width = (SITE_W - 3 * ROAD) / 4
    for col in range(1, 4):
        x = x0 + col * width + (col - 1) * ROAD
        parts.append(shapely.box(x, y0, x + ROAD, y0 + SITE_H).intersection(road_area))
    covered = shapely.union_all(parts)
    rest = road_area.difference(covered)
    parts.extend(getattr(rest, "geoms", [rest]))
    return [p for p in parts if not p.is_empty]


def write_geopackage(layers: DemoLayers, path: Path) -> Path:
    for name in ("boundary", "lots", "roads", "redlines", "buildings"):
        features = getattr(layers, name)
        geoms = np.array([g for g, _ in features], dtype=object)
        keys = list(features[0][1])
        data = [
            np.array(
                [attrs.get(k) for _, attrs in features],
                dtype=object if isinstance(features[0][1][k], str) else None,
            )
            for k in keys
        ]
        pyogrio.raw.write(
            path,
            shapely.to_wkb(geoms),
            data,
            keys,
            driver="GPKG",
            layer=name,
            crs="EPSG:9214",
            geometry_type=shapely.GeometryType(shapely.get_type_id(geoms[0]))
            .name.title()
            .replace("Linestring", "LineString"),
            append=path.exists(),
        )
    return path


def ensure_accounts() -> dict[str, User]:
    planners, _ = Group.objects.get_or_create(name="planners")
    planners.permissions.add(Permission.objects.get(codename="add_project"))
    users = {}
    for username, (password, role) in DEMO_ACCOUNTS.items():
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(username, password=password)
        if role == "admin":
            user.is_staff = user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])
        if role == "planner":
            user.groups.add(planners)
        users[username] = User.objects.get(pk=user.pk)
    return users


LAYER_PLAN = (
    ("boundary", "boundary", "Ranh giới"),
    ("lots", "landuse", "Quy hoạch sử dụng đất"),
    ("roads", "roads", "Giao thông"),
    ("redlines", "redlines", "Chỉ giới"),
    ("buildings", "buildings", "Công trình"),
)


@transaction.atomic
def load_demo() -> Project | None:
    """Create the demo accounts and the demo plan in force; None if it already exists."""
    users = ensure_accounts()
    if Project.objects.filter(code=DEMO_CODE).exists():
        return None
    layers = generate()
    site = GEOSGeometry(memoryview(layers.boundary[0][0].wkb), srid=9214)
    project = CreateProject(
        user=users["planner"],
        code=DEMO_CODE,
        level=Project.Level.DETAILED,
        scale=500,
        name="Quy hoạch chi tiết tỷ lệ 1/500 Khu đô thị mẫu, thành phố Huế",
        admin_area="Thành phố Huế, tỉnh Thừa Thiên Huế",
        agency="Sở Xây dựng Thừa Thiên Huế",
        boundary=MultiPolygon(site),
    ).execute()
    Membership.objects.create(
        project=project, user=users["reviewer"], role=Membership.Role.REVIEWER
    )
    Membership.objects.create(
        project=project, user=users["approver"], role=Membership.Role.APPROVER
    )
    revision = CreateRevision(user=users["planner"], project=project, note="Demo").execute()
    with tempfile.TemporaryDirectory() as workdir:
        gpkg = write_geopackage(layers, Path(workdir) / "demo-plan.gpkg")
        for source, kind, title in LAYER_PLAN:
            import_upload(
                user=users["planner"],
                revision=revision,
                path=gpkg,
                filename=gpkg.name,
                kind=kind,
                name=title,
                source_layer=source,
            )
    extrude_revision(revision)  # the buildings in 3D: the 3D view is never empty
    SubmitRevision(user=users["planner"], revision=revision).execute()
    StartReview(user=users["reviewer"], revision=revision).execute()
    ApproveRevision(
        user=users["approver"],
        revision=revision,
        decision_number="1234/QĐ-UBND",
        decision_signer="Chủ tịch UBND tỉnh",
    ).execute()
    return project
