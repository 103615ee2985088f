"""Queries whose SQL is compiled once and run many times with new parameters.

Peewee turns a query into SQL anew on every execution, and for a model with a dozen columns
that costs more than the database needs to answer it. A page's busiest queries (the signed-in
user, the dashboard's binding) have a fixed shape and change only in their parameters, so
they are written once as a function of slots:

    by_id = Prepared(lambda id_: Customer.select().where(Customer.id == id_))
    customer = by_id.first(7)

The function runs once per database kind with a `Slot` in place of each argument; the SQL it
compiles to is kept, and each call runs that SQL with the slots filled in. Arguments are
database values: whatever a field would convert (a blind index, an encrypted value) the
caller converts first. Rows come back as the query would return them (models, joins).
"""

import threading

from peewee import ColumnBase, Proxy


class Slot(ColumnBase):
    """A parameter of a prepared query, filled in when the query runs."""

    def __init__(self, index):
        super().__init__()
        self.index = index

    def __sql__(self, ctx):
        ctx._values.append(self)
        return ctx.literal(ctx.state.param or "?")


class Prepared:
    """A query-building function, compiled once per kind of database and then reused."""

    def __init__(self, build):
        self.build = build
        self.arity = build.__code__.co_argcount
        self._compiled = {}
        self._model = None
        self._lock = threading.Lock()

    def _query_for(self, database):
        kind = type(database)
        compiled = self._compiled.get(kind)
        if compiled is None:
            with self._lock:
                query = self.build(*(Slot(index) for index in range(self.arity)))
                sql, params = database.get_sql_context().parse(query)
                compiled = self._compiled[kind] = (query, sql, tuple(params))
        return compiled

    def execute(self, *args):
        """Run the query with these arguments; returns Peewee's cursor wrapper over its rows."""
        if len(args) != self.arity:
            raise TypeError(f"this query takes {self.arity} arguments, not {len(args)}")
        database = self._database()
        query, sql, template = self._query_for(database)
        params = [args[value.index] if type(value) is Slot else value for value in template]
        cursor = database.execute_sql(sql, params)
        return query._get_cursor_wrapper(cursor)

    def all(self, *args):
        """Every row, as a list."""
        return list(self.execute(*args))

    def first(self, *args):
        """The first row, or None."""
        for row in self.execute(*args):
            return row
        return None

    def _database(self):
        """The database the query's model is bound to now (tests and tools may rebind it)."""
        if self._model is None:
            self._model = self.build(*(Slot(index) for index in range(self.arity))).model
        database = self._model._meta.database
        return database.obj if isinstance(database, Proxy) else database
