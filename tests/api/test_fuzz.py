"""The JSON API fuzzed from its own OpenAPI schema (schemathesis): whatever is sent, by any role, the answer
is never a server error. Bounded: a fixed number of generated cases per operation, the same every run."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from sqlmodel import select

from app.accounts.models import User
from app.accounts.tokens import create_token
from tests.conftest import add_batch, add_request

ROLES = ("alice", "dave", "frank")
EXAMPLES = 20


def test_no_generated_call_gets_a_server_error(app, db):
    # Something for the generated ids to find: requests of the clerk's village, one in a sent batch.
    add_batch(db, add_request(db, "35.16.11.2017", "alice", serial=1), "alice", submitted=True)
    add_request(db, "35.16.11.2017", "alice", serial=2)
    bearers = []
    for username in ROLES:  # a clerk, a district operator, Dukcapil: each role reaches other branches
        user = db.exec(select(User).where(User.username == username)).one()
        bearers.append(f"Bearer {create_token(db, user, 'fuzz')[1]}")
    db.commit()
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,  # the same cases every run, and nothing written to the checkout
        )
        def no_server_error(case):
            for bearer in bearers:
                response = case.call(headers={"Authorization": bearer})
                case.validate_response(response, checks=[not_a_server_error])

        no_server_error()
