"""Letters through the JSON API: listing issues what the stage calls for; the PDF is the stored bytes."""

from __future__ import annotations

import hashlib

from sqlmodel import select

from app.accounts.models import User
from app.accounts.tokens import create_token
from tests.conftest import add_batch, add_request


def _bearer(db, username: str) -> dict[str, str]:
    user = db.exec(select(User).where(User.username == username)).one()
    return {"Authorization": f"Bearer {create_token(db, user, 'uji')[1]}"}


def test_letters_through_the_api(client, db, app):
    alice, dave = _bearer(db, "alice"), _bearer(db, "dave")
    item = add_request(db, "35.16.11.2017", "alice", serial=1)
    batch = add_batch(db, item, "alice", submitted=True)
    listed = client.get(f"/api/v1/requests/{item.id}/letters", headers=alice)
    assert listed.status_code == 200, listed.text
    [receipt] = listed.json()
    assert receipt["kind"] == "receipt" and receipt["status"] == "valid" and "/TTP/" in receipt["number"]
    public_url = app.plugins.get("PortalPlugin").config.public_url
    assert receipt["verify_url"].startswith(f"{public_url}/verify/") and len(receipt["verify_url"]) > 60
    again = client.get(f"/api/v1/requests/{item.id}/letters", headers=alice).json()
    assert again == [receipt]  # nothing new: the same letter
    pdf = client.get(receipt["download_url"], headers=alice)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(pdf.content).hexdigest() == receipt["sha256"]
    assert item.number in pdf.headers["content-disposition"]
    cover = client.get(f"/api/v1/batches/{batch.id}/letters", headers=dave).json()
    assert [x["kind"] for x in cover] == ["cover"] and "/SPK/" in cover[0]["number"]
    assert client.get(cover[0]["download_url"], headers=_bearer(db, "carol")).status_code == 404
