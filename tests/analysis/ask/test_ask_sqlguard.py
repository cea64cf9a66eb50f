"""The SQL guard: attacks are refused with a reason (and counted), the database never changes."""
from __future__ import annotations

import time

import pytest
from prometheus_client import REGISTRY

from analysis.ask import sqlguard
from analysis.ask.sqlguard import GuardError, check, run_guarded
from tests.analysis.ask.ask_fixtures import db_state

ATTACKS = [
    ("DROP TABLE feedback", "not_select"),
    ("SELECT 1; DROP TABLE feedback", "multiple_statements"),
    ("SELECT count(*) FROM feedback_enriched; DELETE FROM feedback", "multiple_statements"),
    ("; ATTACH '/tmp/evil.duckdb' AS evil", "not_select"),
    ("SELECT * FROM read_csv('/etc/passwd')", "table_function"),
    ("SELECT * FROM read_csv_auto('/etc/passwd')", "table_function"),
    ("SELECT * FROM read_parquet('s3://bucket/x.parquet')", "table_function"),
    ("SELECT * FROM read_json('/etc/hosts')", "table_function"),
    ("SELECT * FROM glob('/etc/*')", "table_function"),
    ("SELECT * FROM query('DROP TABLE feedback')", "table_function"),
    ("SELECT * FROM duckdb_settings()", "table_function"),
    ("SELECT * FROM '/etc/passwd'", "table_not_allowed"),
    ("COPY feedback TO '/tmp/out.csv'", "not_select"),
    ("COPY (SELECT * FROM feedback_enriched) TO '/tmp/out.csv'", "not_select"),
    ("PRAGMA database_list", "not_select"),
    ("INSTALL httpfs", "not_select"),
    ("LOAD httpfs", "not_select"),
    ("SET enable_external_access = true", "not_select"),
    ("CALL pragma_version()", "not_select"),
    ("EXPORT DATABASE '/tmp/dump'", "parse_error"),
    ("DETACH sabor", "not_select"),
    ("CREATE TABLE x AS SELECT * FROM feedback_enriched", "not_select"),
    ("INSERT INTO feedback SELECT * FROM feedback", "not_select"),
    ("UPDATE feedback SET rating = 5", "not_select"),
    ("DELETE FROM feedback", "not_select"),
    ("ALTER TABLE feedback ADD COLUMN x INT", "not_select"),
    ("WITH x AS (SELECT * FROM read_csv('/etc/passwd')) SELECT * FROM x", "table_function"),
    ("WITH x AS (SELECT * FROM feedback_enriched) SELECT * FROM x, read_text('/etc/passwd')",
     "table_function"),
    ("SELECT * FROM feedback_enriched WHERE feedback_id IN (SELECT key FROM settings)", "table_not_allowed"),
    ("SELECT text FROM feedback_enriched UNION ALL SELECT file_name FROM uploads", "table_not_allowed"),
    ("SELECT * FROM information_schema.tables", "table_not_allowed"),
    ("SELECT * FROM main.settings", "table_not_allowed"),
    ("WITH settings AS (SELECT 1 AS k) SELECT * FROM settings", "cte_shadows_table"),
    ("SELECT current_setting('enable_external_access')", "forbidden_function"),
    ("SELECT 1 /* harmless */; DROP TABLE feedback", "multiple_statements"),
    ("SELECT 1 -- comment\n; DROP TABLE feedback", "multiple_statements"),
    ("/* SELECT */ DROP TABLE feedback", "not_select"),
    ("", "empty"),
    ("SELEC * FRM feedback_enriched", "not_select"),
    ("SELECT (1 FROM feedback_enriched", "parse_error"),
]


def _rejections(reason: str) -> float:
    return REGISTRY.get_sample_value("sabor_sql_guard_rejections_total", {"reason": reason}) or 0.0


@pytest.mark.parametrize("sql,reason", ATTACKS)
def test_attack_is_refused_counted_and_db_unchanged(small_store, sql, reason):
    before = db_state(small_store)
    n0 = _rejections(reason)
    with pytest.raises(GuardError) as ei:
        run_guarded(small_store, sql)
    assert ei.value.reason == reason
    assert _rejections(reason) == n0 + 1
    assert ei.value.message_es and ei.value.message_en and ei.value.message_es != ei.value.message_en
    assert db_state(small_store) == before


def test_plain_select_runs_and_gets_a_limit(small_store):
    res = run_guarded(small_store, "SELECT region, count(*) AS n FROM feedback_enriched GROUP BY region")
    assert "LIMIT 1000" in res.sql
    assert res.df["n"].sum() == small_store.scalar("SELECT count(*) FROM feedback")


def test_limit_is_capped_and_small_limits_kept(small_store):
    assert "LIMIT 1000" in check("SELECT * FROM feedback_enriched LIMIT 50000")
    assert "LIMIT 7" in check("SELECT * FROM feedback_enriched LIMIT 7")
    assert "LIMIT 20" in check("SELECT text FROM feedback_enriched LIMIT 10 * 1000", limit=20)
    res = run_guarded(small_store, "SELECT * FROM feedback_enriched", limit=25)
    assert len(res.df) == 25
    # a set operation is wrapped so its own ORDER BY stays valid
    res = run_guarded(small_store, "SELECT region AS r FROM feedback_enriched UNION SELECT channel FROM "
                                   "feedback_enriched ORDER BY r", limit=3)
    assert len(res.df) == 3 and list(res.df["r"]) == sorted(res.df["r"])


def test_cte_and_allowed_views_pass(small_store):
    sql = ("WITH neg AS (SELECT feedback_id FROM mentions_enriched WHERE polarity = 'negative') "
           "SELECT count(*) AS n FROM feedback_enriched WHERE feedback_id IN (SELECT feedback_id FROM neg)")
    res = run_guarded(small_store, sql)
    expected = small_store.scalar("SELECT count(DISTINCT feedback_id) FROM taste_mentions "
                                  "WHERE polarity='negative'")
    assert int(res.df["n"][0]) == expected


def test_strings_with_semicolons_and_sql_words_are_just_data(small_store):
    res = run_guarded(small_store,
                      "SELECT count(*) AS n FROM feedback_enriched WHERE text = '; DROP TABLE feedback'")
    assert int(res.df["n"][0]) == 0
    assert "DROP" in res.sql  # kept as a string literal, not executed


def test_comments_are_stripped_from_the_executed_sql(small_store):
    assert "/*" not in check("SELECT /* hi */ 1 AS x FROM feedback_enriched -- bye")


def test_read_only_transaction_blocks_writes_even_if_the_guard_is_bypassed(small_store, monkeypatch):
    """Second line of defence: with the parser check switched off, DuckDB itself refuses."""
    before = db_state(small_store)
    monkeypatch.setattr(sqlguard, "check", lambda sql, **kw: sql)
    with pytest.raises(GuardError) as ei:
        run_guarded(small_store, "DELETE FROM feedback")
    assert ei.value.reason == "db_error" and "read-only" in ei.value.detail.lower()
    with pytest.raises(GuardError) as ei:
        run_guarded(small_store, "SELECT * FROM read_csv('/etc/passwd')")
    assert ei.value.reason == "db_error" and "disabled" in ei.value.detail.lower()
    assert db_state(small_store) == before


def test_slow_query_is_interrupted(small_store):
    sql = ("SELECT count(*) FROM feedback_enriched a, feedback_enriched b, feedback_enriched c, "
           "feedback_enriched d WHERE a.text || b.text || c.text || d.text LIKE '%zz%'")
    start = time.perf_counter()
    with pytest.raises(GuardError) as ei:
        run_guarded(small_store, sql, timeout_s=0.3)
    assert ei.value.reason == "timeout"
    assert time.perf_counter() - start < 5
    # the store is still usable afterwards
    assert small_store.scalar("SELECT count(*) FROM feedback") > 0


def test_questions_read_the_written_down_copies_under_the_views_names(small_store):
    from analysis.ask.sqlguard import on_copies

    sql = ("SELECT feedback_enriched.region, count(*) AS n FROM feedback_enriched "
           "WHERE feedback_id IN (SELECT feedback_id FROM mentions_enriched) GROUP BY 1 ORDER BY 1")
    assert "cached_feedback_enriched AS feedback_enriched" in on_copies(check(sql))
    assert "cached_mentions_enriched AS mentions_enriched" in on_copies(check(sql))
    res = run_guarded(small_store, sql)
    assert "cached" not in res.sql                          # what the user sees names the views
    assert len(res.df) > 0 and res.df.equals(small_store.query(sql))
    # a WITH alias named like a view keeps its meaning; market_trends has no copy
    cte = "WITH feedback_enriched AS (SELECT 1 AS x) SELECT x FROM feedback_enriched"
    assert on_copies(check(cte)) is None
    assert on_copies(check("SELECT count(*) FROM market_trends")) is None
    # and the copies themselves are not for questions
    for name in ("cached_feedback_enriched", "cached_mentions_enriched", "trend_units"):
        with pytest.raises(GuardError) as ei:
            check(f"SELECT * FROM {name}")
        assert ei.value.reason == "table_not_allowed"
