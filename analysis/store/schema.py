"""The database schema: forward-only migrations, the views (recreated on every open) and what questions
may read."""
from __future__ import annotations

# Forward-only migrations: (version, statements). Never edit a shipped one; append a new version.
MIGRATIONS: list[tuple[int, list[str]]] = [
    (1, [
        """CREATE TABLE uploads (
            upload_id VARCHAR PRIMARY KEY, kind VARCHAR NOT NULL, file_name VARCHAR NOT NULL,
            sha256 VARCHAR NOT NULL, size_bytes BIGINT, rows_read BIGINT, rows_loaded BIGINT,
            rows_rejected BIGINT, rows_duplicate BIGINT, encoding VARCHAR, mapping JSON, report JSON,
            loaded_at TIMESTAMP NOT NULL)""",
        # feedback_id is unique by construction (derived from the de-duplicated dedup_key); no index on it:
        # an ART index costs seconds per million rows at every load.
        """CREATE TABLE feedback (
            feedback_id VARCHAR NOT NULL, text VARCHAR NOT NULL, date DATE, rating DOUBLE,
            product VARCHAR, brand VARCHAR, category VARCHAR, region VARCHAR, channel VARCHAR,
            segment VARCHAR, lang VARCHAR, text_hash VARCHAR NOT NULL, dedup_key VARCHAR NOT NULL,
            date_precision VARCHAR, source_id VARCHAR, upload_id VARCHAR, source_row BIGINT)""",
        """CREATE TABLE rejected_rows (
            upload_id VARCHAR NOT NULL, source_row BIGINT, reason VARCHAR NOT NULL, raw JSON)""",
        """CREATE TABLE predictions (
            feedback_id VARCHAR NOT NULL, model_version VARCHAR NOT NULL, sentiment VARCHAR NOT NULL,
            sentiment_score DOUBLE, stars_pred INTEGER, p_negative DOUBLE, p_neutral DOUBLE,
            p_positive DOUBLE, truncated BOOLEAN DEFAULT false, created_at TIMESTAMP NOT NULL,
            PRIMARY KEY (feedback_id, model_version))""",
        """CREATE TABLE taste_mentions (
            feedback_id VARCHAR NOT NULL, model_version VARCHAR NOT NULL, attribute VARCHAR NOT NULL,
            polarity VARCHAR NOT NULL, score DOUBLE, evidence VARCHAR)""",
        """CREATE TABLE embeddings (
            text_hash VARCHAR NOT NULL, model_version VARCHAR NOT NULL, vector FLOAT[] NOT NULL,
            PRIMARY KEY (text_hash, model_version))""",
        """CREATE TABLE topic_runs (
            run_id VARCHAR PRIMARY KEY, created_at TIMESTAMP NOT NULL, embedding_model VARCHAR,
            n_docs BIGINT, n_topics INTEGER, outlier_share DOUBLE, params JSON, filters JSON,
            is_current BOOLEAN DEFAULT false)""",
        """CREATE TABLE topics (
            run_id VARCHAR NOT NULL, topic_id INTEGER NOT NULL, label VARCHAR, keywords VARCHAR,
            size BIGINT, PRIMARY KEY (run_id, topic_id))""",
        """CREATE TABLE feedback_topics (
            feedback_id VARCHAR NOT NULL, run_id VARCHAR NOT NULL, topic_id INTEGER NOT NULL,
            prob DOUBLE, PRIMARY KEY (feedback_id, run_id))""",
        """CREATE TABLE market_trends (
            date DATE NOT NULL, product VARCHAR, category VARCHAR, region VARCHAR,
            metric VARCHAR NOT NULL, value DOUBLE NOT NULL, upload_id VARCHAR)""",
        """CREATE TABLE settings (key VARCHAR PRIMARY KEY, value VARCHAR)""",
    ]),
    # Discovery: what foods a comment mentions (per model and lexicon version), its words and phrases, and
    # each topic's centroid (new comments join the nearest topic without a refit) and readable phrase.
    (2, [
        """CREATE TABLE food_mentions (
            feedback_id VARCHAR NOT NULL, model_version VARCHAR NOT NULL, lexicon_version VARCHAR NOT NULL,
            entry VARCHAR NOT NULL, family VARCHAR NOT NULL, polarity VARCHAR NOT NULL, score DOUBLE,
            evidence VARCHAR)""",
        """CREATE TABLE food_scans (
            feedback_id VARCHAR NOT NULL, model_version VARCHAR NOT NULL, lexicon_version VARCHAR NOT NULL,
            PRIMARY KEY (feedback_id, model_version, lexicon_version))""",
        """CREATE TABLE feedback_terms (feedback_id VARCHAR NOT NULL, term VARCHAR NOT NULL)""",
        """CREATE TABLE term_scans (feedback_id VARCHAR PRIMARY KEY)""",
        """CREATE TABLE term_labels (term VARCHAR PRIMARY KEY, label VARCHAR NOT NULL, df BIGINT)""",
        "ALTER TABLE topics ADD COLUMN phrase VARCHAR",
        "ALTER TABLE topics ADD COLUMN centroid FLOAT[]",
    ]),
    # Access: API tokens (only a SHA-256 of each token is kept; revoked rows stay for the record) and a
    # generic audit trail (who did what, with a JSON detail that never holds a secret; `logged_at`, since
    # AT is a reserved word in DuckDB).
    (3, [
        """CREATE TABLE api_tokens (
            name VARCHAR NOT NULL, role VARCHAR NOT NULL, token_hash VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL, revoked_at TIMESTAMP)""",
        """CREATE TABLE audit_log (
            logged_at TIMESTAMP NOT NULL, actor VARCHAR NOT NULL, action VARCHAR NOT NULL, detail JSON)""",
    ]),
    # Regular collection and shift alerts: every refresh run, the files the inbox took, the significant
    # shifts a run found, the alert rules edited in the dashboard, the alerts raised (one per shift, never
    # twice: `alert_series` holds every series already told) and each alert's delivery per channel.
    (4, [
        """CREATE TABLE refresh_runs (
            run_id VARCHAR PRIMARY KEY, started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP,
            trigger VARCHAR, status VARCHAR NOT NULL, files_loaded INTEGER DEFAULT 0,
            files_failed INTEGER DEFAULT 0, files_duplicate INTEGER DEFAULT 0, rows_loaded BIGINT DEFAULT 0,
            scored BIGINT DEFAULT 0, shifts_found INTEGER DEFAULT 0, alerts_new INTEGER DEFAULT 0,
            alerts_sent INTEGER DEFAULT 0, deliveries_failed INTEGER DEFAULT 0, seconds DOUBLE,
            error VARCHAR, stages JSON)""",
        """CREATE TABLE inbox_files (
            sha256 VARCHAR NOT NULL, file_name VARCHAR NOT NULL, kind VARCHAR, status VARCHAR NOT NULL,
            upload_id VARCHAR, rows_loaded BIGINT, reason VARCHAR, moved_to VARCHAR,
            seen_at TIMESTAMP NOT NULL, run_id VARCHAR)""",
        """CREATE TABLE refresh_shifts (
            run_id VARCHAR NOT NULL, dimension VARCHAR NOT NULL, key VARCHAR NOT NULL, polarity VARCHAR,
            metric VARCHAR, segment_type VARCHAR, segment VARCHAR, direction VARCHAR, start_month VARCHAR,
            end_month VARCHAR, rate_before DOUBLE, rate_after DOUBLE, effect DOUBLE, q DOUBLE,
            k_before BIGINT, n_before BIGINT, k_after BIGINT, n_after BIGINT, tier INTEGER)""",
        """CREATE TABLE alert_rules (
            rule_id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, enabled BOOLEAN NOT NULL,
            spec JSON NOT NULL, created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL)""",
        """CREATE TABLE alerts (
            alert_id VARCHAR PRIMARY KEY, created_at TIMESTAMP NOT NULL, run_id VARCHAR,
            dimension VARCHAR, key VARCHAR, direction VARCHAR, start_month VARCHAR, headline VARCHAR,
            rules JSON, message JSON NOT NULL)""",
        """CREATE TABLE alert_series (series_key VARCHAR PRIMARY KEY, alert_id VARCHAR NOT NULL)""",
        # status: pending -> sending -> sent | failed (retried by later refreshes) | gave_up; a delivery
        # left in 'sending' by a crash becomes 'unknown' and is never sent again automatically.
        """CREATE TABLE alert_deliveries (
            alert_id VARCHAR NOT NULL, channel VARCHAR NOT NULL, status VARCHAR NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0, last_error VARCHAR, last_attempt_at TIMESTAMP,
            sent_at TIMESTAMP, next_attempt_at TIMESTAMP, PRIMARY KEY (alert_id, channel))""",
    ]),
    # Sign-in: local dashboard users (an argon2id hash of the password, never the password; a removed user
    # keeps its row with `removed_at` and no hash, so the audit trail's names still resolve).
    (5, [
        """CREATE TABLE users (
            username VARCHAR NOT NULL, role VARCHAR NOT NULL, pw_hash VARCHAR,
            created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL, removed_at TIMESTAMP)""",
    ]),
    # Pages at 1M comments: the overview's counts per day and dimensions, rebuilt from feedback and the
    # active predictions whenever Store.data_version changes (analysis/store/rollups.py). Derived data only:
    # no other table refers to it, deleting it loses nothing.
    (6, [
        """CREATE TABLE overview_rollup (
            date DATE, month DATE, product VARCHAR, brand VARCHAR, category VARCHAR, region VARCHAR,
            channel VARCHAR, segment VARCHAR, lang VARCHAR, n BIGINT NOT NULL, rated BIGINT NOT NULL,
            rating_sum DOUBLE, analysed BIGINT NOT NULL, pos BIGINT NOT NULL, neg BIGINT NOT NULL)""",
    ]),
    # Questions and drill-downs at 1M comments: feedback_enriched written down (same columns, one row per
    # comment), rebuilt whenever Store.data_version changes (analysis/store/rollups.py). Derived data only,
    # like the rollup; it holds the comments' text, so deleting or erasing comments deletes its rows too.
    (7, [
        """CREATE TABLE cached_feedback_enriched (
            feedback_id VARCHAR, source_id VARCHAR, text VARCHAR, date DATE, month DATE, year BIGINT,
            rating DOUBLE, product VARCHAR, brand VARCHAR, category VARCHAR, region VARCHAR, channel VARCHAR,
            segment VARCHAR, lang VARCHAR, upload_id VARCHAR, sentiment VARCHAR, sentiment_score DOUBLE,
            stars_pred INTEGER, model_version VARCHAR, topic_id INTEGER, topic_label VARCHAR,
            attributes VARCHAR, negative_attributes VARCHAR, positive_attributes VARCHAR, foods VARCHAR,
            food_families VARCHAR)""",
    ]),
    # Trend scans at 1M comments: the trend engine's units (one row per comment and key of a polar dimension,
    # attribute or mention, with its polarities and the comment's raw date and dimensions) and their base
    # (the comments each of those dimensions has seen, per raw date and dimensions), rebuilt whenever
    # Store.data_version changes (analysis/insight/trends.py, analysis/store/rollups.py). Derived data only.
    (8, [
        """CREATE TABLE trend_units (
            dimension VARCHAR NOT NULL, feedback_id VARCHAR NOT NULL, key VARCHAR NOT NULL,
            pols VARCHAR[] NOT NULL, date DATE, product VARCHAR, category VARCHAR, region VARCHAR,
            channel VARCHAR)""",
        """CREATE TABLE trend_base (
            dimension VARCHAR NOT NULL, date DATE, product VARCHAR, category VARCHAR, region VARCHAR,
            channel VARCHAR, n BIGINT NOT NULL)""",
    ]),
]


# Views are recreated on every open: they hold no data, so changing one needs no migration.
VIEWS = [
    # A year-only date ("2015") keeps its year but no day: it must not count as January in monthly charts.
    """CREATE OR REPLACE VIEW dated_feedback AS
       SELECT * REPLACE (CASE WHEN date_precision = 'year' THEN NULL ELSE date END AS date),
              year(date) AS year
       FROM feedback""",
    # The newest prediction per comment wins; older model versions stay in `predictions` untouched. With a
    # single model version (the primary key then allows one row per comment) every row is the newest: the
    # window, 0.6 s at 1M predictions, runs only when several versions exist (bench/queries.py).
    """CREATE OR REPLACE VIEW active_predictions AS
       SELECT * FROM predictions WHERE (SELECT count(DISTINCT model_version) FROM predictions) <= 1
       UNION ALL
       SELECT * FROM predictions WHERE (SELECT count(DISTINCT model_version) FROM predictions) > 1
       QUALIFY row_number() OVER (PARTITION BY feedback_id
                                  ORDER BY created_at DESC, model_version DESC) = 1""",
    """CREATE OR REPLACE VIEW active_taste_mentions AS
       SELECT m.* FROM taste_mentions m
       JOIN active_predictions p USING (feedback_id, model_version)""",
    # Food mentions of the active prediction under the lexicon in use (the setting scoring writes).
    """CREATE OR REPLACE VIEW active_food_mentions AS
       SELECT m.* FROM food_mentions m
       JOIN active_predictions p USING (feedback_id, model_version)
       WHERE m.lexicon_version = (SELECT value FROM settings WHERE key = 'food_lexicon_version')""",
    # Comments whose food mentions are known (scanned, with or without a food): the base of food shares.
    """CREATE OR REPLACE VIEW active_food_scans AS
       SELECT s.feedback_id FROM food_scans s
       JOIN active_predictions p USING (feedback_id, model_version)
       WHERE s.lexicon_version = (SELECT value FROM settings WHERE key = 'food_lexicon_version')""",
    """CREATE OR REPLACE VIEW current_topic_assignments AS
       SELECT ft.* FROM feedback_topics ft JOIN topic_runs r USING (run_id) WHERE r.is_current""",
    """CREATE OR REPLACE VIEW current_topics AS
       SELECT t.run_id, t.topic_id, t.label, t.keywords, t.size, t.phrase
       FROM topics t JOIN topic_runs r USING (run_id) WHERE r.is_current""",
    """CREATE OR REPLACE VIEW feedback_enriched AS
       SELECT f.feedback_id, f.source_id, f.text, f.date, CAST(date_trunc('month', f.date) AS DATE) AS month,
              f.year, f.rating, f.product, f.brand, f.category, f.region, f.channel,
              f.segment, f.lang, f.upload_id,
              p.sentiment, p.sentiment_score, p.stars_pred, p.model_version,
              ft.topic_id, ct.label AS topic_label,
              a.attributes, a.negative_attributes, a.positive_attributes, fm.foods, fm.food_families
       FROM dated_feedback f
       LEFT JOIN active_predictions p USING (feedback_id)
       LEFT JOIN current_topic_assignments ft USING (feedback_id)
       LEFT JOIN current_topics ct ON ct.topic_id = ft.topic_id
       -- distinct values, sorted, joined by ", " (what string_agg(DISTINCT x, ', ' ORDER BY x) gives, NULL
       -- when none): list functions, ~2.5x faster than ordered aggregates at 1M mentions (bench/queries.py)
       LEFT JOIN (SELECT feedback_id,
                         array_to_string(list_sort(list_distinct(list(attribute))), ', ') AS attributes,
                         array_to_string(list_sort(list_distinct(
                             list(attribute) FILTER (WHERE polarity = 'negative'))), ', ')
                             AS negative_attributes,
                         array_to_string(list_sort(list_distinct(
                             list(attribute) FILTER (WHERE polarity = 'positive'))), ', ')
                             AS positive_attributes
                  FROM active_taste_mentions GROUP BY feedback_id) a USING (feedback_id)
       LEFT JOIN (SELECT feedback_id, array_to_string(list_sort(list_distinct(list(entry))), ', ') AS foods,
                         array_to_string(list_sort(list_distinct(list(family))), ', ') AS food_families
                  FROM active_food_mentions GROUP BY feedback_id) fm USING (feedback_id)""",
    # mentions_enriched and foods_enriched over the written-down copy of feedback_enriched (one join instead
    # of three): read only after analysis.store.rollups.enriched_table() has brought the copy up to date.
    # The copy's model_version is the comment's active one, so joining on it keeps the active mentions.
    """CREATE OR REPLACE VIEW cached_mentions_enriched AS
       SELECT m.feedback_id, m.attribute, m.polarity, m.score, m.evidence, c.date, c.month, c.year,
              c.rating, c.product, c.brand, c.category, c.region, c.channel, c.segment, c.lang, c.text
       FROM taste_mentions m JOIN cached_feedback_enriched c USING (feedback_id, model_version)""",
    """CREATE OR REPLACE VIEW cached_foods_enriched AS
       SELECT m.feedback_id, m.entry, m.family, m.polarity, m.score, m.evidence, c.date, c.month, c.year,
              c.rating, c.product, c.brand, c.category, c.region, c.channel, c.segment, c.lang, c.text
       FROM food_mentions m JOIN cached_feedback_enriched c USING (feedback_id, model_version)
       WHERE m.lexicon_version = (SELECT value FROM settings WHERE key = 'food_lexicon_version')""",
    # One row per taste mention, with the comment's dimensions: the table most taste questions need.
    """CREATE OR REPLACE VIEW mentions_enriched AS
       SELECT m.feedback_id, m.attribute, m.polarity, m.score, m.evidence,
              f.date, CAST(date_trunc('month', f.date) AS DATE) AS month, f.year,
              f.rating, f.product, f.brand, f.category, f.region, f.channel, f.segment, f.lang, f.text
       FROM active_taste_mentions m JOIN dated_feedback f USING (feedback_id)""",
    # One row per food mention, with the comment's dimensions.
    """CREATE OR REPLACE VIEW foods_enriched AS
       SELECT m.feedback_id, m.entry, m.family, m.polarity, m.score, m.evidence,
              f.date, CAST(date_trunc('month', f.date) AS DATE) AS month, f.year,
              f.rating, f.product, f.brand, f.category, f.region, f.channel, f.segment, f.lang, f.text
       FROM active_food_mentions m JOIN dated_feedback f USING (feedback_id)""",
]


# feedback_enriched for a handful of comments (a page of a table): the same columns and joins as the view,
# each restricted to the comments of `{ids}` (a query returning feedback_id), because DuckDB does not push
# a filter on the view's comments into its per-comment aggregates (5 s at 1M comments for 200 rows, vs
# milliseconds). tests/analysis/insight/test_overview_scale.py checks it against the view.
ENRICHED_FOR_IDS = """
WITH ids AS ({ids}),
p AS (SELECT * FROM predictions WHERE feedback_id IN (SELECT feedback_id FROM ids)
      QUALIFY row_number() OVER (PARTITION BY feedback_id ORDER BY created_at DESC, model_version DESC) = 1),
a AS (SELECT m.feedback_id,
             array_to_string(list_sort(list_distinct(list(m.attribute))), ', ') AS attributes,
             array_to_string(list_sort(list_distinct(
                 list(m.attribute) FILTER (WHERE m.polarity = 'negative'))), ', ') AS negative_attributes,
             array_to_string(list_sort(list_distinct(
                 list(m.attribute) FILTER (WHERE m.polarity = 'positive'))), ', ') AS positive_attributes
      FROM taste_mentions m JOIN p USING (feedback_id, model_version) GROUP BY m.feedback_id),
fm AS (SELECT m.feedback_id, array_to_string(list_sort(list_distinct(list(m.entry))), ', ') AS foods,
              array_to_string(list_sort(list_distinct(list(m.family))), ', ') AS food_families
       FROM food_mentions m JOIN p USING (feedback_id, model_version)
       WHERE m.lexicon_version = (SELECT value FROM settings WHERE key = 'food_lexicon_version')
       GROUP BY m.feedback_id)
SELECT f.feedback_id, f.source_id, f.text, f.date, CAST(date_trunc('month', f.date) AS DATE) AS month,
       f.year, f.rating, f.product, f.brand, f.category, f.region, f.channel,
       f.segment, f.lang, f.upload_id,
       p.sentiment, p.sentiment_score, p.stars_pred, p.model_version,
       ft.topic_id, ct.label AS topic_label,
       a.attributes, a.negative_attributes, a.positive_attributes, fm.foods, fm.food_families
FROM dated_feedback f
LEFT JOIN p USING (feedback_id)
LEFT JOIN (SELECT * FROM current_topic_assignments WHERE feedback_id IN (SELECT feedback_id FROM ids)) ft
     USING (feedback_id)
LEFT JOIN current_topics ct ON ct.topic_id = ft.topic_id
LEFT JOIN a USING (feedback_id)
LEFT JOIN fm USING (feedback_id)
WHERE f.feedback_id IN (SELECT feedback_id FROM ids)"""


SCHEMA_VERSION = MIGRATIONS[-1][0]


# Tables and views a question may read (the "ask the data" allow-list lives with the guard, from these).
QUERYABLE = ("feedback_enriched", "mentions_enriched", "foods_enriched", "market_trends", "current_topics",
             "feedback", "predictions", "taste_mentions", "topics", "feedback_topics", "uploads")
