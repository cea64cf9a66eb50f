"""DuckDB storage: the only package that opens connections or writes DDL/DML.

`schema` holds the migrations and views, `core` the Store (connection, cursors, transactions, file loads),
`predictions`, `topics` and `discovery` the writes and reads of each analysis stage. Callers import from
here: `from analysis.store import Store, write_predictions`.
"""
from analysis.store.core import Store, default_db_path
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

__all__ = ["MIGRATIONS", "QUERYABLE", "SCHEMA_VERSION", "VIEWS", "Store", "copy_cached_predictions",
           "count_unpredicted", "count_unscored", "default_db_path", "get_embeddings",
           "model_prediction_summary", "model_uncertain_count",
           "pending_predictions", "put_embeddings", "save_topic_run",
           "set_current_topic_run", "topic_runs", "write_predictions"]
