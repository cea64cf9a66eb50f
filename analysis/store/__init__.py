"""DuckDB storage: the only package that opens connections or writes DDL/DML.

`schema` holds the migrations and views, `core` the Store (connection, cursors, transactions, file loads),
`predictions`, `topics` and `discovery` the writes and reads of each analysis stage, `access` the API
tokens and the audit trail, `deletion` the removal of loaded data with everything derived from it.
Callers import from here: `from analysis.store import Store, write_predictions`. Names are resolved on
first use (PEP 562), so opening the Store does not import pandas or numpy (a re-load stays light).
"""
from importlib import import_module

_WHERE = {
    **dict.fromkeys(["Principal", "audit", "audit_count", "audit_entries", "authenticate", "create_token",
                     "list_tokens", "load_detail", "revoke_token"], "access"),
    **dict.fromkeys(["Store", "default_db_path"], "core"),
    "delete_upload": "deletion",
    **dict.fromkeys(["copy_cached_predictions", "count_unpredicted", "count_unscored",
                     "model_prediction_summary", "model_uncertain_count", "pending_predictions",
                     "write_predictions"], "predictions"),
    **dict.fromkeys(["MIGRATIONS", "QUERYABLE", "SCHEMA_VERSION", "VIEWS"], "schema"),
    **dict.fromkeys(["get_embeddings", "put_embeddings", "save_topic_run", "set_current_topic_run",
                     "topic_runs"], "topics"),
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'analysis.store' has no attribute {name!r}")
    return getattr(import_module(f"analysis.store.{_WHERE[name]}"), name)
