"""The database connection pool of a web process, made ready before its first request."""

import logging

from django.db import connection
from psycopg_pool import PoolTimeout

logger = logging.getLogger(__name__)


def connection_pool_ready(timeout: float = 5.0) -> None:
    """Open this process's connection pool and wait for its first connection.

    Left to itself, Django opens the pool at the first query and asks it for a connection at
    once; the pool, still empty, then opens a second connection beside the one it is already
    opening. A single-threaded process keeps both and takes them in turns (the pool hands out
    the connection that has waited longest), so each request runs on the PostgreSQL backend
    whose caches the previous request did not warm, until the pool trims the idle one ten
    minutes later: a partner create cost PostgreSQL a seventh more (docs/architecture.md).

    When PostgreSQL does not answer within timeout, the process starts all the same: the pool
    keeps trying, and requests meanwhile get the 503 of an unavailable database."""
    pool = getattr(connection, "pool", None)  # None without a pool, or on a backend without one
    if pool is None:
        return
    try:
        pool.open(wait=True, timeout=timeout)
    except PoolTimeout:
        logger.warning("database not reachable at start; the pool keeps trying")
