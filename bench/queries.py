"""Queries per request: every SQL statement a page issues, counted through Peewee's execute_sql."""

import contextlib

from bench import budgets, scenario


class StatementLog:
    """Wraps a database's execute_sql to keep the statements it runs while recording."""

    def __init__(self, database):
        self.database = database
        self.statements = []
        self.recording = False
        self._execute_sql = database.execute_sql

    def _counted(self, sql, params=None, *args, **kwargs):
        if self.recording:
            self.statements.append((sql, params))
        return self._execute_sql(sql, params, *args, **kwargs)

    @contextlib.contextmanager
    def installed(self):
        """Count through the database for the duration of the block."""
        self.database.execute_sql = self._counted
        try:
            yield self
        finally:
            del self.database.execute_sql

    @contextlib.contextmanager
    def recorded(self):
        """Record the statements run inside the block (and only those)."""
        self.statements = []
        self.recording = True
        try:
            yield self.statements
        finally:
            self.recording = False


def measure(database, pages, clients):
    """One row per page: how many statements its request ran, and the budget verdict.

    Each page is fetched once before counting, so one-off work (a first connection) is not
    charged to it.
    """
    rows = []
    log = StatementLog(database)
    with log.installed():
        for page in pages:
            scenario.fetch(page, clients)
            with log.recorded() as statements:
                scenario.fetch(page, clients)
            rows.append(
                {
                    "page": page.name,
                    "queries": len(statements),
                    "budget": budgets.QUERIES_PER_REQUEST,
                    "ok": len(statements) <= budgets.QUERIES_PER_REQUEST,
                    "statements": [sql for sql, _params in statements],
                }
            )
    return rows
