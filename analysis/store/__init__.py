"""DuckDB storage: the only package that opens connections or writes DDL/DML.

`schema` holds the migrations and views, `core` the Store (connection, cursors, transactions, file loads),
`predictions`, `topics` and `discovery` the writes and reads of each analysis stage, `access` the API
tokens and the audit trail, `deletion` the removal of loaded data with everything derived from it.
Callers import from here: `from analysis.store import Store, write_predictions`.
"""
from analysis.store.access import (
    Principal,
    audit,
    audit_count,
    audit_entries,
    authenticate,
    create_token,
    list_tokens,
    load_detail,
    revoke_token,
)
from analysis.store.core import Store, default_db_path
from analysis.store.deletion import delete_upload
from analysis.store.predictions import (
    copy_cached_predictions,
    count_unpredicted,
    count_unscored,
    model_prediction_summary,
    model_uncertain_count,
    pending_predictions,
    write_predictions,
)
from analysis.store.schema import MIGRATIONS, QUERYABLE, SCHEMA_VERSION, VIEWS
from analysis.store.topics import (
    get_embeddings,
    put_embeddings,
    save_topic_run,
    set_current_topic_run,
    topic_runs,
)

__all__ = ["MIGRATIONS", "QUERYABLE", "SCHEMA_VERSION", "VIEWS", "Principal", "Store", "audit", "audit_count",
           "audit_entries", "authenticate", "copy_cached_predictions", "count_unpredicted", "count_unscored",
           "create_token", "default_db_path", "delete_upload", "get_embeddings", "list_tokens", "load_detail",
           "model_prediction_summary", "model_uncertain_count", "pending_predictions", "put_embeddings",
           "revoke_token", "save_topic_run", "set_current_topic_run", "topic_runs", "write_predictions"]
