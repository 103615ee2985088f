"""A session token per customer and agent, rotated at every login, logout and verified code.

The session cookie carries the token; a cookie whose token no longer matches is logged out, so
logging out (or logging in elsewhere) ends every earlier copy of a session on the server side.
"""

from peewee import CharField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("customer", "session_token", CharField(max_length=32, default="")),
        migrator.add_column("agent", "session_token", CharField(max_length=32, default="")),
    )
