"""A customer's session token before its last renewal (after a verified code), and when.

A request already under way with the token before it (a double tap on the button that sent the
code) is still let in for a few seconds, and carried over to the new token; see
webapp.sign_in.renew_session_token.
"""

from peewee import CharField, DateTimeField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column(
            "customer", "previous_session_token", CharField(max_length=32, default="")
        ),
        migrator.add_column("customer", "session_renewed_at", DateTimeField(null=True)),
    )
