"""`litestar portal …` commands, run through Litestar's own CLI against the test database."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlmodel import select

from app.accounts.models import User
from app.accounts.passwords import verify_password
from tests.conftest import REPO, login


def test_user_create_makes_a_user_who_can_log_in(run, db, client):
    result = run(
        "user",
        "create",
        "desa.puri",
        "--role",
        "clerk",
        "--region",
        "35.16.11.2006",
        "--name",
        "Petugas Puri",
        "--password",
        "Sandi-Desa-Puri-1",
    )
    assert result.exit_code == 0, result.output
    assert "Created desa.puri" in result.output
    user = db.exec(select(User).where(User.username == "desa.puri")).one()
    assert (user.role, user.region_code, user.full_name) == ("clerk", "35.16.11.2006", "Petugas Puri")
    assert user.password_hash.startswith("$argon2id$")
    assert login(client, "desa.puri", "Sandi-Desa-Puri-1").status_code == 303


def test_user_create_reads_the_password_from_stdin(run, db):
    result = run(
        "user",
        "create",
        "kec.pacet",
        "--role",
        "district",
        "--region",
        "35.16.03",
        "--password-stdin",
        input="Sandi-Dari-Stdin-1\n",
    )
    assert result.exit_code == 0, result.output
    user = db.exec(select(User).where(User.username == "kec.pacet")).one()
    assert verify_password(user.password_hash, "Sandi-Dari-Stdin-1")


def test_user_create_refuses_a_region_that_does_not_fit_the_role(run, db):
    result = run("user", "create", "salah", "--role", "clerk", "--region", "35.16.11", "--password", "Sandi-Benar-123")
    assert result.exit_code != 0
    assert "harus ditugaskan ke satu desa/kelurahan" in result.text
    assert db.exec(select(User).where(User.username == "salah")).first() is None


def test_user_create_refuses_a_duplicate_username_and_a_short_password(run):
    assert (
        "sudah dipakai"
        in run(
            "user", "create", "alice", "--role", "clerk", "--region", "35.16.11.2017", "--password", "Sandi-Benar-123"
        ).text
    )
    assert (
        "minimal 10"
        in run("user", "create", "baru", "--role", "clerk", "--region", "35.16.11.2017", "--password", "pendek").text
    )


def test_user_list_shows_every_user(run):
    result = run("user", "list")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert any(line.startswith("alice ") and "35.16.11.2017" in line and "yes" in line for line in lines)
    assert any(line.startswith("grace ") and "admin" in line for line in lines)


def test_user_deactivate_blocks_login(run, client):
    result = run("user", "deactivate", "alice")
    assert result.exit_code == 0 and "deactivated" in result.output
    assert login(client, "alice").status_code == 400
    assert run("user", "deactivate", "nobody").exit_code != 0


def test_regions_import_reports_bad_rows_and_loads_good_files(run, db, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("35.15,Kabupaten Sidoarjo\n3515,Tanpa Titik\n")
    result = run("regions", "import", str(bad))
    assert result.exit_code != 0
    assert "bad.csv: baris 2, kolom code" in result.text
    good = tmp_path / "good.csv"
    good.write_text("code,name\n35.15,Kabupaten Sidoarjo\n35.15.01,Sidoarjo\n")
    result = run("regions", "import", str(good))
    assert result.exit_code == 0 and "2 regions added" in result.output


def test_regions_load_takes_a_regency_from_the_national_list(run):
    result = run("regions", "load", "35.15")
    assert result.exit_code == 0, result.output
    assert "regions added" in result.output
    assert run("regions", "load", "99.99").exit_code != 0


def test_seed_demo_creates_one_user_per_role_once(run, db):
    for user in db.exec(select(User)).all():
        db.delete(user)
    db.commit()
    first = run("seed", "--demo", "--if-empty")
    assert first.exit_code == 0, first.output
    roles = {u.role for u in db.exec(select(User)).all()}
    assert roles == {"clerk", "district", "dinas", "admin"}
    again = run("seed", "--demo", "--if-empty")
    assert "already exist" in again.output


def test_migrate_runs_from_the_repository_root_with_autodiscovery(portal_config):
    env = {
        **os.environ,
        "PORTAL_DATABASE_URL": portal_config.database_url,
        "PORTAL_DATA_DIR": str(portal_config.data_dir),
        "PORTAL_SECRET_KEY": "x",
    }
    result = subprocess.run(
        [sys.executable, "-m", "litestar", "portal", "migrate"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "already at revision" in result.stdout
