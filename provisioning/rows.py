"""Rows in and out of the partner API's hot path without the ORM's per-query compiler.

The partner API's throughput is bound by Python, not by PostgreSQL: building and compiling a
QuerySet costs several times what the database spends answering it, and a create writes seven
dependent rows, one round trip each (docs/reliability.md has the profile). Three tools here:

- `select_list` / `hydrate`: hand-written SELECTs name their columns from the model's own
  metadata and turn a result row back into model instances, so a renamed field breaks loudly
  instead of silently.
- `new_rows`: the rows a service call creates are collected and inserted together when the
  block ends — on PostgreSQL in one statement, one JSON parameter a table, that returns their
  ids (rows whose id is needed sooner take one that the process drew ahead, a block at a
  time). Elsewhere (the embedded SQLite) each row is saved at once, as the ORM would.
- `hot_cursor`: these statements are prepared once per connection on PostgreSQL.

Rows inserted this way send no `pre_save`/`post_save` signals (like `bulk_create`); nothing in
the project listens to them.
"""

from __future__ import annotations

import contextvars
import datetime
import decimal
import json
import os
import threading
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from types import SimpleNamespace

import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.db.models import Field, Model
from django.utils.functional import Promise
from psycopg.types.json import Jsonb

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


@cache
def width(model: type[Model]) -> int:
    """How many values of a result row `select_list(model, …)` stands for."""
    return len(model._meta.concrete_fields)


@cache
def _pk_index(model: type[Model]) -> int:
    return model._meta.concrete_fields.index(model._meta.pk)


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
    return (hydrate(model, values) if values[_pk_index(model)] is not None else None), end


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
    db = _connection()
    if db.vendor != "postgresql" or not settings.DATABASE_PREPARED_STATEMENTS:
        return db.cursor()
    db.ensure_connection()
    db.validate_no_broken_transaction()
    if db.connection.prepare_threshold is None:
        # Django turns preparing off for its connections; its own cursors bind on the client
        # side and never prepare whatever this says, so this only lets ours.
        db.connection.prepare_threshold = 5
    raw = _Preparing(psycopg.Cursor(db.connection))
    if db.queries_logged:
        return db.make_debug_cursor(raw)
    return db.make_cursor(raw)


def table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def column(model: type[Model], name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


# --- Writing ------------------------------------------------------------------------------------


class _IdBlocks:
    """Ids drawn from the tables' sequences ahead of need, a block at a time, and handed out
    by this process: the round trip for a new row's id is paid once a block, not once a row.

    This is a sequence's own CACHE option, moved to this side of the connection, with the
    same consequences: ids are unique but not in the order rows are created across
    processes (nothing orders by them alone), and the ids a process has not used when it
    ends are never used. A forked process starts with none (it must not hand out its
    parent's), and each database has its own."""

    def __init__(self, size: int):
        self.size = size
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._ids: dict[tuple[str, type[Model]], deque[int]] = {}

    def take(self, models: list[type[Model]]) -> list[int]:
        """One id for each entry of models (a model given twice gets two)."""
        database = _connection().settings_dict["NAME"]
        wanted = Counter(models)
        while True:
            with self._lock:
                if self._pid != os.getpid():
                    self._ids, self._pid = {}, os.getpid()
                short = [
                    model
                    for model, count in wanted.items()
                    if len(self._ids.get((database, model), ())) < count
                ]
                if not short:
                    return [self._ids[database, model].popleft() for model in models]
            # Drawn outside the lock: another thread may take some first; then draw again.
            drawn = _draw_ids(short, max(self.size, *wanted.values()))
            with self._lock:
                for model, ids in drawn.items():
                    self._ids.setdefault((database, model), deque()).extend(ids)

    def forget(self) -> None:
        with self._lock:
            self._ids.clear()


def _draw_ids(models: list[type[Model]], count: int) -> dict[type[Model], list[int]]:
    """count ids from each model's sequence, in one round trip."""
    calls = ", ".join(["nextval(pg_get_serial_sequence(%s, %s))"] * len(models))
    params: list = []
    for model in models:
        params += [model._meta.db_table, model._meta.pk.column]
    with hot_cursor() as cursor:
        cursor.execute(f"SELECT {calls} FROM generate_series(1, %s)", [*params, count])  # noqa: S608 - placeholders only
        rows = cursor.fetchall()
    return {model: [row[i] for row in rows] for i, model in enumerate(models)}


# Twenty ids a table at a time: a create then draws ids once in twenty calls.
_id_blocks = _IdBlocks(size=20)

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
                self._draw([model])  # an id nobody reserved
            obj.pk = self.ids[model].pop(0)
        self.rows.append(obj)
        return obj

    def _draw(self, models: list[type[Model]]) -> None:
        for model, pk in zip(models, _id_blocks.take(models), strict=True):
            self.ids.setdefault(model, []).append(pk)

    def flush(self) -> None:
        """Insert every collected row in one statement; rows without an id get theirs from the
        database (RETURNING, in insertion order). Foreign keys are checked at commit (Django
        creates them DEFERRABLE INITIALLY DEFERRED), so the order of the tables is free."""
        if not self.rows:
            return
        groups = _by_table(self.rows)
        params = []
        for (model, _with_pk), objs in groups:
            for obj in objs:
                # Point foreign keys at related new rows (refuses one that has no id yet).
                obj._prepare_related_fields_for_save(operation_name="row_insert")
            params.append(_rows_json(model, objs))
        with hot_cursor() as cursor:
            cursor.execute(_insert_statement(tuple(key for key, _ in groups)), params)
            ids: dict[int, list[int]] = {}
            for n, pk in cursor.fetchall():
                ids.setdefault(n, []).append(pk)
        for n, (_key, objs) in enumerate(groups):
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


def _by_table(rows: list[Model]) -> list[tuple[tuple[type[Model], bool], list[Model]]]:
    """The rows by table, and by whether they carry their id (the others take the default)."""
    groups: dict[tuple[type[Model], bool], list[Model]] = {}
    for obj in rows:
        groups.setdefault((type(obj), obj.pk is not None), []).append(obj)
    return list(groups.items())


@cache
def _insert_statement(shape: tuple[tuple[type[Model], bool], ...]) -> str:
    """One `WITH … INSERT` statement for groups of rows of these tables (with or without
    their ids), each group one JSON parameter, returning (group number, id) per row."""
    inserts = []
    for n, (model, with_pk) in enumerate(shape):
        name = table(model)
        columns = ", ".join(
            connection.ops.quote_name(column) for column, *_ in _row_plan(model, with_pk)
        )
        pk = connection.ops.quote_name(model._meta.pk.column)
        inserts.append(
            f"i{n} AS (INSERT INTO {name} ({columns}) SELECT {columns} "  # noqa: S608 - our own names
            f"FROM jsonb_populate_recordset(NULL::{name}, %s::jsonb) RETURNING {pk})"
        )
    returned = " UNION ALL ".join(f"SELECT {n}, * FROM i{n}" for n in range(len(shape)))  # noqa: S608 - numbers only
    return f"WITH {', '.join(inserts)} {returned}"


# Fields whose value goes into the JSON of its row as it is: their preparation for the
# database only checks or converts Python types, which the JSON text does in its own way.
# (A JSONField's value nests; one with an encoder of its own goes through it, below.) Other
# fields go through their own pre_save and database preparation, as in the ORM's insert.
_READ_AS_IS = (
    models.AutoField,
    models.BigAutoField,
    models.BigIntegerField,
    models.BooleanField,
    models.CharField,
    models.EmailField,
    models.ForeignKey,
    models.IntegerField,
    models.OneToOneField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.SmallIntegerField,
    models.TextField,
    models.URLField,
    models.UUIDField,
)
_PLAIN = frozenset({str, int, bool, float, type(None)})


@cache
def _row_plan(model: type[Model], with_pk: bool) -> tuple[tuple[str, str, Field | None, bool], ...]:
    """(column, attname, field, moment) for each column a row of model writes. field: only
    for the columns whose value goes through the field's own preparation (None: read as it
    is). moment: a plain DateTimeField, whose preparation keeps None and an aware datetime as
    they are, so that these are written directly, the datetime as its ISO text (a naive one
    goes through the field, which warns and makes it aware)."""
    plan = []
    for field in model._meta.local_concrete_fields:
        if field.primary_key and not with_pk:
            continue  # the column's default (the sequence) gives it
        as_is = type(field) in _READ_AS_IS or (
            type(field) is models.JSONField and field.encoder is None
        )
        moment = type(field) is models.DateTimeField and not (field.auto_now or field.auto_now_add)
        plan.append((field.column, field.attname, None if as_is else field, moment))
    return tuple(plan)


def _rows_json(model: type[Model], objs: list[Model]) -> str:
    """The rows as a JSON array of objects keyed by column, with the values the ORM's insert
    would send (each field's pre_save, then its database preparation)."""
    db = _connection()
    rows = []
    for obj in objs:
        row = {}
        for column, attname, field, moment in _row_plan(model, obj.pk is not None):
            value = getattr(obj, attname)
            if moment and value is None:
                pass  # NULL, as the field would send it
            elif moment and type(value) is datetime.datetime and value.tzinfo is not None:
                value = value.isoformat()
            elif field is not None:
                value = field.get_db_prep_save(field.pre_save(obj, add=True), db)
            if type(value) not in _PLAIN and hasattr(value, "resolve_expression"):
                raise TypeError(f"{model.__name__}.{attname}: expressions are not supported")
            row[column] = value
        rows.append(row)
    return _ROWS_ENCODER.encode(rows)


def _json_value(value):
    """What the JSON encoder cannot write by itself; PostgreSQL reads these text forms back
    into the column's type."""
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | decimal.Decimal | Promise):  # Promise: a lazy string
        return str(value)
    if isinstance(value, Jsonb):  # a JSONField's value, written by the field's own encoder
        return json.loads(value.dumps(value.obj)) if value.dumps else value.obj
    raise TypeError(f"{type(value).__name__} values are not supported in new rows")


# One encoder for every statement (json.dumps with options builds a new one per call).
_ROWS_ENCODER = json.JSONEncoder(default=_json_value, ensure_ascii=False, allow_nan=False)
