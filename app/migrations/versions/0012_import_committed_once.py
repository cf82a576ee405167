"""a file is committed once per village

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 22:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('portal_import', schema=None) as batch_op:
        batch_op.add_column(sa.Column('committed_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    # The earliest commit of each (village, file) keeps the claim; a duplicate committed before this
    # migration (the race it closes) stays as it was, without a claim.
    op.execute(
        """
        UPDATE portal_import SET committed_sha256 = sha256
        WHERE status = 'committed' AND id IN (
            SELECT MIN(id) FROM portal_import WHERE status = 'committed' GROUP BY village_code, sha256
        )
        """
    )
    with op.batch_alter_table('portal_import', schema=None) as batch_op:
        batch_op.create_index('uq_portal_import_committed_file', ['village_code', 'committed_sha256'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('portal_import', schema=None) as batch_op:
        batch_op.drop_index('uq_portal_import_committed_file')
        batch_op.drop_column('committed_sha256')
