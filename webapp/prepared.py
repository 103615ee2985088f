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

What is fixed in the query (a status, a limit) is written into its SQL rather than passed as a
parameter: a partial index (an application's one open status, a card's one active binding)
serves a statement only when the index's condition is known as the statement is planned.
SQLite prepared such a statement again every time it ran, and a PostgreSQL prepared statement
may be given a plan for any parameter. Only integers and plain words are written in; anything
else stays a parameter.

On PostgreSQL, each query is also prepared on the server (PREPARE), once per connection, and
then run by name (EXECUTE): parsing and planning a query cost the server more than running it
(a join of the dashboard: 137 us of the server's CPU as text, 47 us prepared). Preparing is a
connection's setup, not a request's work, so it is not counted among a page's statements.

Peewee also works out, for every result, which column becomes which attribute of which model;
for one SQL text that answer never changes, so it is kept from the first result that had a
row and given to the later ones.
"""

import itertools
import re
import threading
import weakref

from peewee import (
    ColumnBase,
    Node,
    PostgresqlDatabase,
    Proxy,
    __exception_wrapper__,
)

# Constant words written into the SQL: letters, digits, "_", "." and "-": nothing to quote, and
# no "%" for psycopg2 to read as a placeholder.
_PLAIN_WORD = re.compile(r"[\w.-]*", re.ASCII)


class Slot(ColumnBase):
    """A parameter of a prepared query, filled in when the query runs."""

    def __init__(self, index):
        super().__init__()
        self.index = index

    def __sql__(self, ctx):
        ctx._values.append(self)
        return ctx.literal(ctx.state.param or "?")


# What a Peewee cursor wrapper holds about one result rather than about the SQL it came from.
_PER_RESULT = frozenset(("cursor", "count", "index", "initialized", "populated", "row_cache"))


class Prepared:
    """A query-building function, compiled once per kind of database and then reused."""

    def __init__(self, build):
        self.build = build
        self.arity = build.__code__.co_argcount
        self._compiled = {}
        self._layouts = {}
        self._model = None
        self._lock = threading.Lock()
        self.name = f"webapp_prepared_{next(_numbers)}"  # its name where it is prepared

    def _query_for(self, database):
        kind = type(database)
        compiled = self._compiled.get(kind)
        if compiled is None:
            with self._lock:
                query = self.build(*(Slot(index) for index in range(self.arity)))
                context = _constants_inline(database.context_class)
                sql, params = context(**database.get_context_options()).parse(query)
                if isinstance(database, PostgresqlDatabase):
                    sql = _ServerPrepared(self.name, sql, len(params))
                compiled = self._compiled[kind] = (query, sql, tuple(params))
        return compiled

    def execute(self, *args):
        """Run the query with these arguments; returns Peewee's cursor wrapper over its rows."""
        return self._run(args)[1]

    def all(self, *args):
        """Every row, as a list."""
        kind, rows = self._run(args)
        found = list(rows)
        self._keep_layout(kind, rows)
        return found

    def first(self, *args):
        """The first row, or None."""
        kind, rows = self._run(args)
        for row in rows:
            self._keep_layout(kind, rows)
            return row
        return None

    def _run(self, args):
        if len(args) != self.arity:
            raise TypeError(f"this query takes {self.arity} arguments, not {len(args)}")
        database = self._database()
        kind = type(database)
        query, sql, template = self._query_for(database)
        params = [args[value.index] if type(value) is Slot else value for value in template]
        if type(sql) is _ServerPrepared:
            sql = sql.execute_statement(database)
        rows = query._get_cursor_wrapper(database.execute_sql(sql, params))
        layout = self._layouts.get(kind)
        if layout is not None:
            rows.__dict__.update(layout)
            rows.initialized = True
        return kind, rows

    def _keep_layout(self, kind, rows):
        if rows.initialized and kind not in self._layouts:
            layout = {name: value for name, value in vars(rows).items() if name not in _PER_RESULT}
            self._layouts[kind] = layout

    def _database(self):
        """The database the query's model is bound to now (tests and tools may rebind it)."""
        if self._model is None:
            self._model = self.build(*(Slot(index) for index in range(self.arity))).model
        database = self._model._meta.database
        return database.obj if isinstance(database, Proxy) else database


_numbers = itertools.count(1)
# A PostgreSQL connection -> the names of the statements prepared on it (gone with it).
_prepared_on = weakref.WeakKeyDictionary()
_PLACEHOLDER = re.compile(r"%[s%]")


class _ServerPrepared:
    """A query's PostgreSQL text, prepared on each connection the first time it runs there."""

    def __init__(self, name, sql, count):
        self.name = name
        numbers = itertools.count(1)
        # Peewee writes psycopg2's %s placeholders (and %% for a percent sign); PREPARE wants $n.
        self.prepare = f"PREPARE {name} AS " + _PLACEHOLDER.sub(
            lambda found: "%" if found.group() == "%%" else f"${next(numbers)}", sql
        )
        self.execute = f"EXECUTE {name}" + (f" ({', '.join(['%s'] * count)})" if count else "")

    def __str__(self):
        return self.prepare

    def execute_statement(self, database):
        """The EXECUTE to send on the database's connection, preparing it there first if need
        be."""
        connection = database.connection()
        names = _prepared_on.get(connection)
        if names is None:
            names = _prepared_on[connection] = set()
        if self.name not in names:
            with __exception_wrapper__:
                connection.cursor().execute(self.prepare)
            names.add(self.name)
        return self.execute


_inlining_contexts = {}


def _constants_inline(context_class):
    """A subclass of a database's SQL context that writes integers and plain words into the
    SQL instead of passing them as parameters."""
    inlining = _inlining_contexts.get(context_class)
    if inlining is None:

        class ConstantsInline(context_class):
            def value(self, value, converter=None, add_param=True):
                if isinstance(value, Node):
                    return super().value(value, converter, add_param)
                if converter:
                    value = converter(value)
                elif converter is None and self.state.converter:
                    value = self.state.converter(value)
                if type(value) is int:
                    return self.literal(str(value))
                if type(value) is str and _PLAIN_WORD.fullmatch(value):
                    return self.literal(f"'{value}'")
                return super().value(value, False, add_param)

        inlining = _inlining_contexts[context_class] = ConstantsInline
    return inlining
