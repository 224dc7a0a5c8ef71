"""VN-2000 definitions reach the database with the official datum shift."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_hue_reference_point_transforms_with_datum_shift():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform("
            "ST_SetSRID(ST_MakePoint(%s, %s), 9214), 4326) AS p) q",
            [561714, 1821449],
        )
        lon, lat = cursor.fetchone()
    assert lon == pytest.approx(107.579825, abs=1e-6)
    assert lat == pytest.approx(16.467979, abs=1e-6)


@pytest.mark.parametrize("srid", range(9205, 9219))
def test_every_tm3_zone_is_in_spatial_ref_sys_with_towgs84(srid):
    with connection.cursor() as cursor:
        cursor.execute("SELECT proj4text FROM spatial_ref_sys WHERE srid = %s", [srid])
        row = cursor.fetchone()
    assert row is not None, f"EPSG:{srid} missing"
    assert "+towgs84=-191.90441429" in row[0]


def test_without_datum_shift_the_point_would_be_far_off():
    # Guards the reason for the migration: a plain TM projection on WGS 84 lands ~225 m away.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_DistanceSphere(ST_Transform(ST_SetSRID(ST_MakePoint(561714, 1821449), 9214), 4326),"
            " ST_Transform(ST_MakePoint(561714, 1821449), '+proj=tmerc +lon_0=107 +k=0.9999"
            " +x_0=500000 +ellps=WGS84 +units=m', 4326))"
        )
        (metres,) = cursor.fetchone()
    assert 150 < metres < 300
