"""Request list pages with 1,000,000 requests on PostgreSQL, under 32 concurrent clients (`make bench`).

The portal runs as it would in production (uvicorn, 2 workers, PostgreSQL); the baseline is a bare
Litestar + Jinja app rendering the same 50 rows from memory, served and loaded the same way in the same run.
Figures: median and p99 latency, requests per second, and the ratio of throughput to the baseline.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import create_engine

from tests.conftest import REPO

ROWS = int(os.environ.get("BENCH_REQUESTS", "1000000"))
CLIENTS, SECONDS, WORKERS = 32, 10.0, 2
LATENCY_SCRIPT = Path(__file__).with_name("wrk_latency.lua")

BASELINE_APP = textwrap.dedent('''
    from litestar import Litestar, get
    from litestar.response import Template
    from litestar.template.config import TemplateConfig
    from litestar.contrib.jinja import JinjaTemplateEngine
    from pathlib import Path

    ROWS = [{"id": i, "number": f"PPD-3516112017-2026-{i:06d}", "name": f"WARGA {i}", "nik": "3516••••••••0001",
             "service": "KTP-el baru", "status": "Diajukan", "created": "23 November 2026"} for i in range(50)]
    TEMPLATE = """<!doctype html><html lang=id><body><table><thead><tr><th>Nomor</th><th>Nama</th><th>NIK</th>
    <th>Layanan</th><th>Status</th><th>Dicatat</th></tr></thead><tbody>{% for r in rows %}<tr>
    <td><a href="/permohonan/{{ r.id }}">{{ r.number }}</a></td><td>{{ r.name }}</td><td>{{ r.nik }}</td>
    <td>{{ r.service }}</td><td>{{ r.status }}</td><td>{{ r.created }}</td></tr>{% endfor %}</tbody></table>
    </body></html>"""

    Path(__file__).with_name("rows.html").write_text(TEMPLATE)

    @get("/list")
    async def rows() -> Template:
        return Template(template_name="rows.html", context={"rows": ROWS})

    app = Litestar([rows], template_config=TemplateConfig(engine=JinjaTemplateEngine,
                                                          directory=Path(__file__).parent))
''')

GENERATE = """
INSERT INTO portal_request (number, village_code, service_code, status, nik, kk_number, name, birth_place,
    birth_date, sex, address, rt, rw, fields, created_by, created_at, updated_at, status_changed_at, status_pin)
SELECT 'PPD-' || replace(v.code, '.', '') || '-B-' || lpad(g::text, 7, '0'),
       v.code,
       (ARRAY['KTP_BARU','KK_UBAH','AKTA_LAHIR','KIA','PINDAH','AKTA_MATI'])[1 + (g / 304) % 6],
       (ARRAY['draft','submitted','approved','processing','completed','completed','completed','rejected'])
           [1 + (g / 7) % 8],
       '3516' || lpad((g % 100000000)::text, 8, '0') || lpad((1 + g % 9999)::text, 4, '0'),
       '3516110101090001', 'WARGA ' || g, 'MOJOKERTO', DATE '1990-01-01' + (g % 12000), 'L', 'JL. UJI',
       '001', '002', '{}', :creator,
       now() - (g % 700) * interval '1 day' - (g % 1440) * interval '1 minute',
       now() - (g % 700) * interval '1 day', now() - (g % 300) * interval '1 day', '123456'
FROM generate_series(1, :rows) AS g
JOIN (SELECT code, row_number() OVER (ORDER BY code) - 1 AS n FROM portal_region WHERE level = 4) v
  ON v.n = g % 304
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(args: list[str], env: dict[str, str], cwd: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            *args,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(WORKERS),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=cwd,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            httpx.get(base + "/", timeout=1)
            return proc, base
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start")


def _load(url: str, cookies: dict[str, str]) -> dict[str, float]:
    """wrk (C, from Debian) as the load generator: 32 connections on 2 threads, latency percentiles."""
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    args = ["wrk", "-t2", f"-c{CLIENTS}", f"-d{int(SECONDS)}s", "--latency", "-s", str(LATENCY_SCRIPT)]
    if cookie:
        args += ["-H", f"Cookie: {cookie}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    figures = dict(re.findall(r"^(p50|p99|rps|non2xx) ([0-9.]+)$", out, re.M))
    return {k: float(v) for k, v in figures.items()}


def _report(label: str, figures: dict[str, float]) -> float:
    print(
        f"{label:<34} {figures['rps']:8.0f} req/s   median {figures['p50']:6.1f} ms   "
        f"p99 {figures['p99']:6.1f} ms   non-2xx {figures.get('non2xx', 0):.0f}"
    )
    return figures["rps"]


def _login(base: str, username: str, password: str) -> dict[str, str]:
    with httpx.Client(base_url=base) as client:
        page = client.get("/login")
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
        client.post("/login", data={"username": username, "password": password, "_csrf_token": token})
        return dict(client.cookies)


def test_request_lists_with_a_million_requests(tmp_path):
    base_url = os.environ.get("PORTAL_TEST_POSTGRES_URL")
    if not base_url:
        pytest.skip("needs PORTAL_TEST_POSTGRES_URL (the figures are for PostgreSQL)")
    name = f"portal_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base_url).set(database=name).render_as_string(hide_password=False)
    env = {**os.environ, "PORTAL_DATABASE_URL": url, "PORTAL_DATA_DIR": str(tmp_path), "PORTAL_SECRET_KEY": "bench"}
    servers: list[subprocess.Popen] = []
    try:
        cli = [sys.executable, "-m", "litestar", "--app", "app.main:create_app", "portal"]
        subprocess.run([*cli, "migrate"], cwd=REPO, env=env, check=True, capture_output=True)
        subprocess.run([*cli, "seed", "--demo"], cwd=REPO, env=env, check=True, capture_output=True)
        engine = create_engine(url)
        start = time.perf_counter()
        with engine.begin() as conn:
            creator = conn.execute(text("SELECT id FROM portal_user WHERE username = 'desa.kenanten'")).scalar_one()
            conn.execute(text(GENERATE), {"rows": ROWS, "creator": creator})
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE portal_request"))
            total = conn.execute(text("SELECT count(*) FROM portal_request")).scalar_one()
        print(f"\n{total:,} requests generated and analysed in {time.perf_counter() - start:.0f} s")

        portal, portal_base = _serve(["--factory", "app.main:create_app"], env, REPO)
        servers.append(portal)
        (tmp_path / "baseline.py").write_text(BASELINE_APP)
        baseline, baseline_base = _serve(["baseline:app"], {**os.environ, "PYTHONPATH": str(tmp_path)}, tmp_path)
        servers.append(baseline)

        clerk = _login(portal_base, "desa.kenanten", "Demo-Desa-2026")
        district = _login(portal_base, "kec.puri", "Demo-Kecamatan-2026")
        cases = [
            ("baseline: bare Litestar+Jinja, 50 rows", baseline_base + "/list", {}),
            ("clerk list (status=submitted)", portal_base + "/permohonan/?status=submitted", clerk),
            ("district list (status=approved)", portal_base + "/permohonan/?status=approved", district),
            (
                "district list (one village, KIA)",
                portal_base + "/permohonan/?village=35.16.11.2017&service=KIA",
                district,
            ),
        ]
        with httpx.Client() as check:
            for label, page_url, cookies in cases[1:]:
                html = check.get(page_url, cookies=cookies).text
                # A full page (50 rows and the header) at a million requests; fewer on a smaller trial run.
                assert html.count("<tr>") == 51 or (ROWS < 1_000_000 and html.count("<tr>") > 1), label
        print(f"{CLIENTS} concurrent clients, {SECONDS:.0f} s each, {WORKERS} uvicorn workers, PostgreSQL")
        rates = {}
        for label, page_url, cookies in cases:
            rates[label] = _report(label, _load(page_url, cookies))
        base_rate = rates[cases[0][0]]
        for label, _, _ in cases[1:]:
            print(f"{label:<34} throughput ratio to baseline {rates[label] / base_rate:.2f}x")
    finally:
        for proc in servers:
            proc.terminate()
            proc.wait(10)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
