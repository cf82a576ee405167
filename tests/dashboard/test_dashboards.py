"""Home pages count by status, show where requests wait and for how long, what is past its target in
working days, and (for district and regency users) a per-village or per-district chart with its numbers."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from app.dashboard.service import overdue_count
from tests.conftest import add_request, login


def _cells(html: str, name: str) -> list[str]:
    row = re.search(rf"<tr><td>{name}</td>(.*?)</tr>", html, re.S).group(1)
    return re.findall(r'<td class="num">(\d+)</td>', row)


def _aged(db, item, days: int):
    item.created_at = item.status_changed_at = datetime.now(UTC) - timedelta(days=days)
    db.commit()
    return item


def test_a_request_past_its_target_in_working_days_is_overdue(db, app):
    from app.accounts.service import load_current_user
    from app.catalog.service import services_for

    # KTP_BARU's target is 14 working days: 30 calendar days is past it, 10 is not.
    _aged(db, add_request(db, "35.16.11.2017", "alice", status="approved", serial=1), 30)
    _aged(db, add_request(db, "35.16.11.2017", "alice", status="approved", serial=2), 10)
    _aged(db, add_request(db, "35.16.11.2017", "alice", status="completed", serial=3), 60)  # done: not late
    from sqlmodel import select

    from app.accounts.models import User

    dave = db.exec(select(User).where(User.username == "dave")).one()
    actor = load_current_user(db, dave.id, dave.session_epoch)
    tz = app.plugins.get("PortalPlugin").config.tz
    services = services_for(db, "35.16")
    assert overdue_count(db, actor, services, today=datetime.now(tz).date(), tz=tz) == 1


def test_the_working_day_clock_skips_holidays():
    from lokal import add_working_days

    # 17 August 2026 (Independence Day) is a Monday: one working day before Tuesday 18th is Friday 14th.
    assert add_working_days(date(2026, 8, 18), -1) == date(2026, 8, 14)


def test_the_district_home_shows_waiting_stages_and_a_chart_per_village(client, db):
    _aged(db, add_request(db, "35.16.11.2017", "alice", status="submitted", serial=1), 3)
    add_request(db, "35.16.11.2017", "alice", status="completed", serial=2)
    add_request(db, "35.16.11.2009", "bob", status="rejected", serial=3)
    add_request(db, "35.16.12.2007", "carol", status="submitted", serial=4)  # another district
    login(client, "dave")
    page = client.get("/").text
    assert "<svg" in page and "Permohonan per desa/kelurahan" in page
    assert _cells(page, "Kenanten") == ["1", "1", "0", "2"]
    assert _cells(page, "Sumbergirang") == ["0", "0", "1", "1"]
    assert _cells(page, "Tampungrejo") == ["0", "0", "0", "0"]
    assert "Trowulan</td>" not in page
    assert re.search(r"Diajukan · terlama \d hari kerja", page)


def test_the_dinas_home_charts_every_district(client, db):
    add_request(db, "35.16.12.2007", "carol", status="approved", serial=1)
    login(client, "frank")
    page = client.get("/").text
    assert _cells(page, "Trowulan") == ["1", "0", "0", "1"]
    assert page.count("<tr><td>") == 18  # every district in the chart's table, zeros too
    assert page.count('<rect x="158"') == 18 + 1  # one bar row per district, plus the legend
