"""The wp-firms migration on a database with data: firms start unverified, members who accepted an invitation to
their current firm keep trusting whoever sent it (so an existing contact person still sees them), and no row that
points at a rebuilt table is lost (SQLite rebuilds a table to add a foreign key)."""
from flask_migrate import upgrade
from sqlalchemy import text

from courseware import create_app
from courseware.extensions import db


def test_existing_firms_and_members_survive_the_upgrade(tmp_path):
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.db'}"})
    with app.app_context():
        directory = app.extensions["migrate"].directory
        upgrade(directory=directory, revision="a3d9e1f40b22")
        rows = [
            "INSERT INTO firms (id, orgnr, name, source, created_at) VALUES (1, '942110464', 'A AS', 'manual', "
            "'2026-01-01 00:00:00'), (2, '817920632', 'B AS', 'manual', '2026-01-01 00:00:00')",
            "INSERT INTO users (id, email, name, password_hash, role, firm_id, is_firm_contact, share_progress, active,"
            " created_at, session_stamp) VALUES"
            " (1, 'kontakt@example.no', 'Kontakt', 'x', 'learner', 1, 1, 0, 1, '2026-01-01 00:00:00', ''),"
            " (2, 'invitert@example.no', 'Invitert', 'x', 'learner', 1, 0, 0, 1, '2026-01-01 00:00:00', ''),"
            " (3, 'selv@example.no', 'Selv', 'x', 'learner', 1, 0, 0, 1, '2026-01-01 00:00:00', ''),"
            " (4, 'flyttet@example.no', 'Flyttet', 'x', 'learner', 2, 0, 0, 1, '2026-01-01 00:00:00', '')",
            "INSERT INTO firm_invitations (firm_id, email, token_hash, invited_by_id, created_at, accepted_at) VALUES"
            " (1, 'invitert@example.no', 'h1', 1, '2026-01-02 00:00:00', '2026-01-03 00:00:00'),"
            " (1, 'flyttet@example.no', 'h2', 1, '2026-01-02 00:00:00', '2026-01-03 00:00:00'),"
            " (1, 'selv@example.no', 'h3', 1, '2026-01-02 00:00:00', NULL)",
        ]
        with db.engine.begin() as conn:
            for statement in rows:
                conn.execute(text(statement))
        upgrade(directory=directory)
        with db.engine.connect() as conn:
            firms = conn.execute(text("SELECT id, verified_via, verified_at, verified_by_id FROM firms")).all()
            trusted = dict(conn.execute(text("SELECT id, firm_invited_by_id FROM users")).all())
            members = dict(conn.execute(text("SELECT id, firm_id FROM users")).all())
            invitations = conn.execute(text("SELECT count(*) FROM firm_invitations")).scalar()
            foreign_keys = conn.execute(text("PRAGMA foreign_keys")).scalar()
            requests = conn.execute(text("SELECT count(*) FROM firm_join_requests")).scalar()
        db.engine.dispose()
    assert firms == [(1, None, None, None), (2, None, None, None)]
    # Accepted an invitation to the firm they are in: trusts the inviter. Not accepted, or moved on: nobody.
    assert trusted == {1: None, 2: 1, 3: None, 4: None}
    assert requests == 0
    # SQLite rebuilds the firms and users tables; nothing that points at them may be lost on the way.
    assert members == {1: 1, 2: 1, 3: 1, 4: 2} and invitations == 3
    assert foreign_keys == 1  # enforced again after the migration
