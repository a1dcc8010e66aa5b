"""Haversine distance and the index-friendly bounding box."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from market.geo import EARTH_RADIUS_M, bounding_box, haversine_m

JIEFANGBEI = (29.5576, 106.5772)  # 解放碑, 渝中区
SHAPINGBA = (29.5410, 106.4542)


def test_the_distance_from_a_point_to_itself_is_zero():
    assert haversine_m(*JIEFANGBEI, *JIEFANGBEI) == 0


def test_one_degree_of_latitude_is_about_111_km():
    assert haversine_m(29, 106, 30, 106) == pytest.approx(EARTH_RADIUS_M * math.pi / 180, rel=1e-12)
    assert 111_100 < haversine_m(29, 106, 30, 106) < 111_300


def test_jiefangbei_to_shapingba_is_about_12_km():
    assert haversine_m(*JIEFANGBEI, *SHAPINGBA) == pytest.approx(12_040, rel=0.01)


def test_distance_is_symmetric():
    assert haversine_m(*JIEFANGBEI, *SHAPINGBA) == haversine_m(*SHAPINGBA, *JIEFANGBEI)


def test_a_box_near_a_pole_spans_every_longitude():
    box = bounding_box(89.99, 0, 5000)
    assert (box.min_lon, box.max_lon, box.max_lat) == (-180.0, 180.0, 90.0)


def test_a_negative_radius_is_refused():
    with pytest.raises(ValueError):
        bounding_box(29.5, 106.5, -1)


@given(
    lat=st.floats(20, 45),
    lon=st.floats(90, 120),
    radius_m=st.floats(1, 100_000),
    bearing=st.floats(0, 2 * math.pi),
    fraction=st.floats(0, 0.999),
)
def test_every_point_within_the_radius_lies_in_the_bounding_box(lat, lon, radius_m, bearing, fraction):
    # walk `fraction × radius` from the centre along `bearing` (great-circle destination formula)
    angular = fraction * radius_m / EARTH_RADIUS_M
    phi1, lambda1 = math.radians(lat), math.radians(lon)
    phi2 = math.asin(math.sin(phi1) * math.cos(angular) + math.cos(phi1) * math.sin(angular) * math.cos(bearing))
    lambda2 = lambda1 + math.atan2(
        math.sin(bearing) * math.sin(angular) * math.cos(phi1), math.cos(angular) - math.sin(phi1) * math.sin(phi2)
    )
    point = (math.degrees(phi2), math.degrees(lambda2))
    assert haversine_m(lat, lon, *point) <= radius_m * (1 + 1e-9)
    box = bounding_box(lat, lon, radius_m)
    assert box.contains(*point)


def test_the_box_is_tight_at_the_tangent_longitude():
    box = bounding_box(29.5, 106.5, 10_000)
    # the box's east edge is within the radius of some point on the circle: no more than a metre slack
    nearest_on_edge = min(haversine_m(29.5, 106.5, 29.5 + k / 1000, box.max_lon) for k in range(-100, 101))
    assert nearest_on_edge == pytest.approx(10_000, abs=1)
