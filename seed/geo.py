"""Bundled boundaries of Jiangsu's 13 cities and 95 counties (WGS84; see geo/SOURCE.md)."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

GEO_DIR = Path(__file__).resolve().parent / "geo"
PROVINCE_ADCODE = 320000
PROVINCE_NAME = "江苏省"


@lru_cache(maxsize=None)
def load(level: str) -> dict:
    """The GeoJSON FeatureCollection of ``city`` or ``county`` boundaries."""
    name = {"city": "jiangsu_cities.geojson", "county": "jiangsu_counties.geojson"}[level]
    with open(GEO_DIR / name, encoding="utf-8") as fh:
        return json.load(fh)


def short_name(name: str) -> str:
    for suffix in ("市", "区", "县"):
        if name.endswith(suffix) and len(name) > 2:
            return name[: -len(suffix)]
    return name


def _rings(feature: dict) -> list[np.ndarray]:
    geom = feature["geometry"]
    polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
    return [np.asarray(ring, dtype=float) for poly in polys for ring in poly]


def _inside(xs: np.ndarray, ys: np.ndarray, rings: list[np.ndarray]) -> np.ndarray:
    """Even-odd rule over all rings (holes included)."""
    inside = np.zeros(xs.shape, dtype=bool)
    for ring in rings:
        x1, y1 = ring[:-1, 0], ring[:-1, 1]
        x2, y2 = ring[1:, 0], ring[1:, 1]
        for a, b, c, d in zip(x1, y1, x2, y2):
            cond = (b > ys) != (d > ys)
            if not cond.any():
                continue
            xint = a + (ys - b) * (c - a) / ((d - b) if d != b else 1e-12)
            inside ^= cond & (xs < xint)
    return inside


def sample_points(feature: dict, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` random points inside a county's polygon, as an (n, 2) array of lon, lat."""
    rings = _rings(feature)
    allpts = np.concatenate(rings)
    lo, hi = allpts.min(axis=0), allpts.max(axis=0)
    out: list[np.ndarray] = []
    got = 0
    while got < n:
        m = max(64, int((n - got) * 2.5))
        cand = rng.uniform(lo, hi, size=(m, 2))
        ok = cand[_inside(cand[:, 0], cand[:, 1], rings)]
        out.append(ok)
        got += len(ok)
    return np.round(np.concatenate(out)[:n], 6)
