"""The SQL guard: every query a question turns into (from the LLM or the built-in answerer) passes here.

Two lines of defence: this module parses the SQL with sqlglot and accepts only one read-only SELECT over
allow-listed views, with a LIMIT; then `run_guarded` executes it inside a READ ONLY transaction that is
always rolled back, with a time limit, on a connection opened with external access disabled
(so even a function the guard missed cannot read files or the network).
"""
from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from dataclasses import dataclass

import duckdb
import pandas as pd
import sqlglot
from sqlglot import exp

from analysis import store as store_mod
from analysis.ops import metrics
from analysis.store import rollups

# Questions read the documented views, not the raw tables (which hold audit data such as uploads).
ALLOWED: frozenset[str] = frozenset(
    n for n in store_mod.QUERYABLE if n in ("feedback_enriched", "mentions_enriched", "foods_enriched",
                                            "market_trends", "current_topics"))
DEFAULT_LIMIT = 1000
DEFAULT_TIMEOUT_S = 10.0
MAX_SQL_CHARS = 20_000

# Every table/view the database defines: a CTE may not borrow one of these names, because the guard's
# table check is not scope-aware and a shadowing CTE could smuggle a real table past it.
_KNOWN_NAMES = frozenset(
    m.lower() for stmts in store_mod.MIGRATIONS for s in stmts[1]
    for m in re.findall(r"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)", s, re.IGNORECASE)
) | frozenset(m.lower() for v in store_mod.VIEWS for m in re.findall(r"VIEW\s+(\w+)", v, re.IGNORECASE)) | {
    "schema_version"}

# Statement/expression kinds that never belong in a question, wherever they appear in the tree.
_FORBIDDEN_NODES = tuple(c for c in (getattr(exp, n, None) for n in (
    "Insert", "Update", "Delete", "Drop", "Create", "Alter", "Command", "Copy", "Attach", "Detach",
    "Pragma", "Set", "Install", "Use", "Transaction", "Commit", "Rollback", "Merge", "Describe",
    "Summarize", "LoadData", "Into", "Export", "Analyze", "Grant", "Revoke", "TruncateTable", "Cache",
    "Uncache", "Refresh", "Kill", "Show")) if isinstance(c, type))

# Scalar functions that reach outside the data or into the engine's configuration.
_FORBIDDEN_FUNC_PREFIXES = ("read_", "duckdb_", "pragma_", "parquet_", "iceberg_", "delta_", "sqlite_",
                            "postgres_", "mysql_", "http", "json_execute", "enable_", "disable_")
_FORBIDDEN_FUNCS = frozenset({
    "glob", "query", "query_table", "getenv", "current_setting", "sniff_csv", "load", "install",
    "checkpoint", "force_checkpoint", "which_secret", "read_text", "read_blob", "system", "shell",
    "set_variable", "getvariable", "current_database", "current_schema", "version", "pg_sleep"})

logging.getLogger("sqlglot").setLevel(logging.ERROR)
log = logging.getLogger(__name__)

_MESSAGES = {
    "empty": ("La consulta está vacía.", "The query is empty."),
    "too_long": ("La consulta es demasiado larga.", "The query is too long."),
    "parse_error": ("No se pudo leer la consulta SQL.", "The SQL query could not be parsed."),
    "multiple_statements": ("Solo se permite una consulta a la vez.", "Only one statement is allowed."),
    "not_select": ("Solo se permiten consultas de lectura (SELECT).",
                   "Only read-only SELECT queries are allowed."),
    "forbidden_statement": ("La consulta contiene una instrucción no permitida.",
                            "The query contains a forbidden statement."),
    "table_function": ("No se permiten funciones de tabla (lectura de archivos o de la red).",
                       "Table functions (file or network reads) are not allowed."),
    "forbidden_function": ("La consulta usa una función no permitida.",
                           "The query uses a forbidden function."),
    "table_not_allowed": ("La consulta lee una tabla que no está permitida.",
                          "The query reads a table that is not allowed."),
    "cte_shadows_table": ("Un alias WITH no puede llevar el nombre de una tabla.",
                          "A WITH alias cannot reuse a table name."),
    "timeout": ("La consulta tardó demasiado y se canceló.", "The query took too long and was cancelled."),
    "db_error": ("La base de datos rechazó la consulta.", "The database rejected the query."),
}


class GuardError(Exception):
    """A refused or failed query: `reason` is a stable code (metrics label), `detail` a short specific
    note."""

    def __init__(self, reason: str, detail: str = ""):
        self.reason = reason
        self.detail = detail
        es, en = _MESSAGES.get(reason, ("Consulta rechazada.", "Query refused."))
        self.message_es = f"{es} ({detail})" if detail else es
        self.message_en = f"{en} ({detail})" if detail else en
        super().__init__(f"{reason}: {self.message_en}")

    def message(self, lang: str = "es") -> str:
        return self.message_en if lang == "en" else self.message_es


def _reject(reason: str, detail: str = "") -> GuardError:
    if reason not in ("timeout", "db_error"):
        metrics.SQL_GUARD_REJECTIONS.labels(reason=reason).inc()
    return GuardError(reason, detail)


def _func_name(f: exp.Func) -> str:
    if isinstance(f, exp.Anonymous):
        return str(f.name).lower()
    return f.sql_name().lower()


def check(sql: str, allowed: frozenset[str] | set[str] = ALLOWED, limit: int = DEFAULT_LIMIT) -> str:
    """Return a safe, normalised version of `sql` (comments stripped, LIMIT added or capped at `limit`),
    or raise GuardError with the reason."""
    if not sql or not sql.strip().strip(";").strip():
        raise _reject("empty")
    if len(sql) > MAX_SQL_CHARS:
        raise _reject("too_long")
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except sqlglot.errors.SqlglotError as e:
        raise _reject("parse_error", str(e).splitlines()[0][:160]) from None
    # A leading ';' parses as an empty statement; anything beyond one real statement is refused.
    if len(statements) != 1:
        raise _reject("multiple_statements", str(len(statements)))
    root = statements[0]
    while (isinstance(root, (exp.Subquery, exp.Paren))
           and isinstance(root.this, (exp.Select, exp.SetOperation))):
        root = root.this
    if not isinstance(root, (exp.Select, exp.SetOperation)):
        raise _reject("not_select", type(root).__name__.upper())

    for node in root.walk():
        if _FORBIDDEN_NODES and isinstance(node, _FORBIDDEN_NODES):
            raise _reject("forbidden_statement", type(node).__name__.upper())

    cte_names = {str(c.alias).lower() for c in root.find_all(exp.CTE)}
    clash = cte_names & (_KNOWN_NAMES - {a.lower() for a in allowed})
    if clash:
        raise _reject("cte_shadows_table", ", ".join(sorted(clash)))

    for t in root.find_all(exp.Table):
        if not isinstance(t.this, exp.Identifier):
            name = _func_name(t.this) if isinstance(t.this, exp.Func) else type(t.this).__name__.lower()
            raise _reject("table_function", name)
        name = str(t.name).lower()
        if t.args.get("catalog") is not None or (t.db and t.db.lower() != "main"):
            raise _reject("table_not_allowed", t.sql(dialect="duckdb"))
        if name in cte_names and not t.db:
            continue
        if name not in {a.lower() for a in allowed}:
            raise _reject("table_not_allowed", name)

    for f in root.find_all(exp.Func):
        name = _func_name(f)
        if (name in _FORBIDDEN_FUNCS or name.startswith(_FORBIDDEN_FUNC_PREFIXES)
                or type(f).__name__.startswith("Read")):
            raise _reject("forbidden_function", name)

    root = _apply_limit(root, limit)
    return root.sql(dialect="duckdb", comments=False)


def _apply_limit(root: exp.Expression, limit: int) -> exp.Expression:
    if isinstance(root, exp.Select):
        lim = root.args.get("limit")
        current = None
        if isinstance(lim, exp.Limit) and isinstance(lim.expression, exp.Literal) and lim.expression.is_int:
            current = int(lim.expression.this)
        if current is None or current > limit or current < 0:
            root.set("limit", exp.Limit(expression=exp.Literal.number(limit)))
        return root
    # UNION & co.: wrap rather than edit, so the set operation's own ORDER BY stays as written.
    return exp.select("*").from_(root.subquery("_q")).limit(limit)


# The documented views a question names, and their written-down copies (analysis/store/rollups.py): the same
# columns and, once brought up to date, the same rows, in milliseconds instead of ~1 s at 1M comments.
COPIES = {"feedback_enriched": "cached_feedback_enriched", "mentions_enriched": "cached_mentions_enriched",
          "foods_enriched": "cached_foods_enriched"}


def on_copies(safe: str) -> str | None:
    """`safe` (SQL `check` accepted) reading the copies instead of the views it names, or None when it names
    none. A WITH alias of a view's name keeps its meaning; a view read without an alias keeps its name as
    the alias, so `feedback_enriched.region` still resolves."""
    try:
        root = sqlglot.parse_one(safe, read="duckdb")
    except sqlglot.errors.SqlglotError:
        return None
    ctes = {str(c.alias).lower() for c in root.find_all(exp.CTE)}
    tables = [t for t in root.find_all(exp.Table) if str(t.name).lower() in COPIES
              and str(t.name).lower() not in ctes]
    if not tables:
        return None
    for t in tables:
        if not t.alias:
            t.set("alias", exp.TableAlias(this=exp.to_identifier(t.name)))
        t.set("this", exp.to_identifier(COPIES[str(t.name).lower()]))
    return root.sql(dialect="duckdb", comments=False)


@dataclass
class QueryResult:
    sql: str
    df: pd.DataFrame
    seconds: float


def run_guarded(store, sql: str, *, allowed=ALLOWED, limit: int = DEFAULT_LIMIT,
                timeout_s: float = DEFAULT_TIMEOUT_S) -> QueryResult:
    """Check `sql`, then run it read-only with a time limit. Raises GuardError (refused, timeout,
    db_error)."""
    safe = check(sql, allowed=allowed, limit=limit)
    run_sql = on_copies(safe)
    if run_sql is not None:
        try:
            rollups.enriched_table(store)   # rebuilt here, before the time limit starts, when data changed
        except duckdb.Error as e:           # e.g. a full disk: the views give the same answer, slower
            log.warning("could not refresh the copy of feedback_enriched (%s); reading the views",
                        type(e).__name__)
            run_sql = None
    cur = store.new_cursor()
    timer = threading.Timer(timeout_s, cur.interrupt)
    start = time.perf_counter()
    try:
        cur.execute("BEGIN TRANSACTION READ ONLY")
        timer.start()
        try:
            df = cur.execute(run_sql or safe).df()
        except duckdb.Error as e:  # the message goes back to the LLM / the user
            if type(e).__name__ == "InterruptException" or "Interrupted" in str(e):
                raise GuardError("timeout", f"> {timeout_s:g} s") from None
            raise GuardError("db_error", str(e).splitlines()[0][:300]) from None
        return QueryResult(sql=safe, df=df, seconds=time.perf_counter() - start)
    finally:
        timer.cancel()
        with contextlib.suppress(duckdb.Error):  # nothing to roll back if BEGIN itself failed
            cur.execute("ROLLBACK")
        cur.close()
        metrics.QUERY_SECONDS.labels(kind="ask").observe(time.perf_counter() - start)
