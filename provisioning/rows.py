"""Rows in and out of the partner API's hot path without the ORM's per-query compiler.

The partner API's throughput is bound by Python, not by PostgreSQL: building and compiling a
QuerySet costs several times what the database spends answering it, and a create writes seven
dependent rows, one round trip each (docs/reliability.md has the profile). Three tools here:

- `select_list` / `hydrate`: hand-written SELECTs name their columns from the model's own
  metadata and turn a result row back into model instances, so a renamed field breaks loudly
  instead of silently.
- `new_rows`: the rows a service call creates are collected and inserted together when the
  block ends — on PostgreSQL in one statement that returns their ids (rows whose id is needed
  sooner draw it up front, all in one round trip). Elsewhere (the embedded SQLite) each row is
  saved at once, as the ORM would.
- `hot_cursor`: these statements are prepared once per connection on PostgreSQL.

Rows inserted this way send no `pre_save`/`post_save` signals (like `bulk_create`); nothing in
the project listens to them.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from types import SimpleNamespace

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Model

# --- Reading -----------------------------------------------------------------------------------


@cache
def select_list(model: type[Model], alias: str, *, label: str = "") -> str:
    """`alias."col", …` for every concrete field of model, in `hydrate`'s order.

    label: name the columns `<label>_<col>`, to tell apart two tables' columns of one name."""
    q = connection.ops.quote_name
    return ", ".join(
        f"{alias}.{q(field.column)}" + (f" AS {q(f'{label}_{field.column}')}" if label else "")
        for field in model._meta.concrete_fields
    )


def width(model: type[Model]) -> int:
    """How many values of a result row `select_list(model, …)` stands for."""
    return len(model._meta.concrete_fields)


@cache
def _loading(model: type[Model]) -> tuple[list[str], list[tuple[int, list]]]:
    fields = model._meta.concrete_fields
    converters = [
        # What the ORM's compiler applies: the backend's (SQLite's datetimes, …), then the
        # field's own.
        (i, connection.ops.get_db_converters(f.cached_col) + f.get_db_converters(connection))
        for i, f in enumerate(fields)
    ]
    return [f.attname for f in fields], [(i, c) for i, c in converters if c]


def hydrate(model: type[Model], values: Sequence) -> Model:
    """A model instance from the values `select_list(model, …)` selected, as the ORM makes
    it (database converters applied, state "from the database")."""
    attnames, converters = _loading(model)
    values = list(values)
    fields = model._meta.concrete_fields
    db = _connection()
    for i, functions in converters:
        for function in functions:
            values[i] = function(values[i], fields[i], db)
    return model.from_db(DEFAULT_DB_ALIAS, attnames, values)


def _connection():
    """The connection itself: `django.db.connection` is a proxy that looks it up again (in a
    thread-local) on every attribute, which the loops here would pay per field."""
    return connections[DEFAULT_DB_ALIAS]


def hydrate_at(model: type[Model], row: Sequence, start: int) -> tuple[Model | None, int]:
    """The instance whose columns start at row[start] (None when a LEFT JOIN found none, i.e.
    its primary key is NULL), and where the next model's columns start."""
    end = start + width(model)
    values = row[start:end]
    pk_index = model._meta.concrete_fields.index(model._meta.pk)
    return (hydrate(model, values) if values[pk_index] is not None else None), end


class _Preparing:
    """A psycopg cursor with server-side parameters that has PostgreSQL prepare each statement
    on first use: the connection then plans it once, not on every call (a join of the hot
    path costs about 0.3 ms to plan, more than to run)."""

    def __init__(self, cursor):
        self._cursor = cursor
        self._sql = ""

    def execute(self, sql, params=None):
        self._sql = sql
        return self._cursor.execute(sql, params, prepare=True)

    @property
    def _query(self):
        # What Django's query logging reads back (psycopg keeps nothing for a prepared
        # statement): the statement as written, placeholders and all, without the values.
        return SimpleNamespace(query=self._sql.encode()) if self._sql else None

    def __getattr__(self, name):
        return getattr(self._cursor, name)


def hot_cursor():
    """A cursor for the statements of this module's callers: fixed SQL, run on every partner
    call. On PostgreSQL they are prepared once per connection (the pool keeps connections,
    and with them the plans); Django's query wrappers and counting see them as usual."""
    if connection.vendor != "postgresql" or not settings.DATABASE_PREPARED_STATEMENTS:
        return connection.cursor()
    connection.ensure_connection()
    connection.validate_no_broken_transaction()
    if connection.connection.prepare_threshold is None:
        # Django turns preparing off for its connections; its own cursors bind on the client
        # side and never prepare whatever this says, so this only lets ours.
        connection.connection.prepare_threshold = 5
    raw = _Preparing(psycopg.Cursor(connection.connection))
    if connection.queries_logged:
        return connection.make_debug_cursor(raw)
    return connection.make_cursor(raw)


def table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def column(model: type[Model], name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


# --- Writing ------------------------------------------------------------------------------------

_batch: contextvars.ContextVar[_NewRows | None] = contextvars.ContextVar("new_rows", default=None)


class _NewRows:
    def __init__(self, reserve: Iterable[type[Model]]):
        self.rows: list[Model] = []
        self.callbacks: list[Callable[[], None]] = []
        self.ids: dict[type[Model], list[int]] = {}
        self._draw(list(reserve))

    def add(self, obj: Model, *, with_id: bool) -> Model:
        model = type(obj)
        if obj.pk is None and (with_id or self.ids.get(model)):
            if not self.ids.get(model):
                self._draw([model])  # an id nobody reserved: one more round trip
            obj.pk = self.ids[model].pop(0)
        self.rows.append(obj)
        return obj

    def _draw(self, models: list[type[Model]]) -> None:
        if not models:
            return
        calls = ", ".join(["nextval(pg_get_serial_sequence(%s, %s))"] * len(models))
        params = []
        for model in models:
            params += [model._meta.db_table, model._meta.pk.column]
        with hot_cursor() as cursor:
            cursor.execute(f"SELECT {calls}", params)
            drawn = cursor.fetchone()
        for model, pk in zip(models, drawn, strict=True):
            self.ids.setdefault(model, []).append(pk)

    def flush(self) -> None:
        """Insert every collected row in one statement; rows without an id get theirs from the
        database (RETURNING, in insertion order). Foreign keys are checked at commit (Django
        creates them DEFERRABLE INITIALLY DEFERRED), so the order of the tables is free."""
        if not self.rows:
            return
        groups = _by_model(self.rows)
        inserts, params = [], []
        for n, (model, objs) in enumerate(groups):
            for obj in objs:
                # Point foreign keys at related new rows (refuses one that has no id yet).
                obj._prepare_related_fields_for_save(operation_name="row_insert")
            sql, values = _insert_sql(model, objs)
            pk = connection.ops.quote_name(model._meta.pk.column)
            inserts.append(f"i{n} AS ({sql} RETURNING {pk})")
            params += values
        returned = " UNION ALL ".join(
            f"SELECT {n}, * FROM i{n}"  # noqa: S608 - numbers only
            for n in range(len(groups))
        )
        with hot_cursor() as cursor:
            cursor.execute(f"WITH {', '.join(inserts)} {returned}", params)
            ids: dict[int, list[int]] = {}
            for n, pk in cursor.fetchall():
                ids.setdefault(n, []).append(pk)
        for n, (_model, objs) in enumerate(groups):
            for obj, pk in zip(objs, ids[n], strict=True):
                obj.pk = pk
                obj._state.adding = False
                obj._state.db = DEFAULT_DB_ALIAS
        self.rows = []
        for callback in self.callbacks:
            transaction.on_commit(callback)


@contextmanager
def new_rows(*, reserve: Iterable[type[Model]] = ()) -> Iterator[None]:
    """Collect the rows that `row_insert` is given inside the block and insert them together,
    all or none, when it ends; nothing is inserted when the block raises.

    The rows reach the database only when the block ends: code inside it must not query them
    or `save()` them again. A row has its id inside the block only when `row_insert` is asked
    for it (`with_id`); reserve: the models of those rows, one entry per row, so that their ids
    are drawn in a single round trip (each one beyond costs one more). On PostgreSQL the rows
    are one statement, atomic by itself; elsewhere each is saved at once, inside a transaction
    (a savepoint within one).
    """
    if connection.vendor != "postgresql":
        with transaction.atomic():
            yield
        return
    batch = _NewRows(reserve)
    token = _batch.set(batch)
    try:
        yield
    finally:
        _batch.reset(token)
    batch.flush()


def row_insert(obj: Model, *, with_id: bool = False) -> Model:
    """Insert a new row: with the block of `new_rows`, when it ends; otherwise now.

    with_id: the caller needs the row's id before the block ends (to write it somewhere, or
    to point another new row at it)."""
    batch = _batch.get()
    if batch is None:
        obj.save(force_insert=True)
        return obj
    return batch.add(obj, with_id=with_id)


def on_commit(callback: Callable[[], None]) -> None:
    """Run callback once the rows given to `row_insert` so far are committed.

    Inside `new_rows` that is after its statement (and after the transaction around it, if
    there is one); `transaction.on_commit` alone would run it at once, before the rows exist,
    when the block is not in a transaction."""
    batch = _batch.get()
    if batch is None:
        transaction.on_commit(callback)
    else:
        batch.callbacks.append(callback)


def _by_model(rows: list[Model]) -> list[tuple[type[Model], list[Model]]]:
    groups: dict[type[Model], list[Model]] = {}
    for obj in rows:
        groups.setdefault(type(obj), []).append(obj)
    return list(groups.items())


def _insert_sql(model: type[Model], objs: list[Model]) -> tuple[str, list]:
    """`INSERT INTO t (cols) VALUES (…), (…)` with the values the ORM's insert would send
    (each field's pre_save, then its database preparation)."""
    fields = model._meta.local_concrete_fields
    db = _connection()
    q = db.ops.quote_name
    values, rows = [], []
    for obj in objs:
        row = []
        for field in fields:
            if field.primary_key and obj.pk is None:
                row.append("DEFAULT")
                continue
            value = field.pre_save(obj, add=True)
            if hasattr(value, "resolve_expression"):
                raise TypeError(f"{model.__name__}.{field.name}: expressions are not supported")
            values.append(field.get_db_prep_save(value, db))
            row.append("%s")
        rows.append(f"({', '.join(row)})")
    columns = ", ".join(q(field.column) for field in fields)
    sql = f"INSERT INTO {q(model._meta.db_table)} ({columns}) VALUES {', '.join(rows)}"  # noqa: S608 - our own names, placeholders
    return sql, values
