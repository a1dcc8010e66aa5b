"""Distances on the Earth for check-in radii, travel limits and the job feed. Pure, standard library.

`haversine_m` is exact enough for a city (error ≈ 0.5 % from treating the Earth as a sphere).
`bounding_box` gives the lat/lon rectangle that contains a circle, so that a query can first narrow
rows with plain range conditions an index can serve (`lat BETWEEN $1 AND $2 AND lon BETWEEN $3 AND $4`)
and then keep only those whose haversine distance is within the radius.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Mean Earth radius (IUGG), the usual choice for haversine.
EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two points given in degrees (WGS-84 / GCJ-02 alike)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    # min() guards against a hair above 1.0 from rounding for antipodal points.
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class BoundingBox:
    """A lat/lon rectangle in degrees; min ≤ max on both axes (a box never wraps the antimeridian)."""

    min_lat: float
    max_lat: float
    min_lon: float
    max_lon: float

    def contains(self, lat: float, lon: float) -> bool:
        return self.min_lat <= lat <= self.max_lat and self.min_lon <= lon <= self.max_lon


def bounding_box(lat: float, lon: float, radius_m: float) -> BoundingBox:
    """The smallest lat/lon rectangle containing every point within `radius_m` of (lat, lon).

    Latitude spans radius/R radians either way. Longitude spans the widest point of the circle,
    which is not at the centre's latitude but where the great circle through the tangent points
    meets it: Δλ = asin(sin(r/R) / cos φ) (Bronshtein; also J. P. Matuschek's note). Near a pole,
    or when the box would cross ±180°, it falls back to the full longitude range: still correct,
    only less selective, and never reached in Chongqing.
    """
    if radius_m < 0:
        raise ValueError("radius_m must not be negative")
    angular = radius_m / EARTH_RADIUS_M
    min_lat = lat - math.degrees(angular)
    max_lat = lat + math.degrees(angular)
    if min_lat <= -90 or max_lat >= 90 or angular >= math.pi / 2:
        return BoundingBox(max(min_lat, -90.0), min(max_lat, 90.0), -180.0, 180.0)
    ratio = math.sin(angular) / math.cos(math.radians(lat))
    if ratio >= 1:
        return BoundingBox(min_lat, max_lat, -180.0, 180.0)
    d_lon = math.degrees(math.asin(ratio))
    min_lon, max_lon = lon - d_lon, lon + d_lon
    if min_lon < -180 or max_lon > 180:
        return BoundingBox(min_lat, max_lat, -180.0, 180.0)
    return BoundingBox(min_lat, max_lat, min_lon, max_lon)
