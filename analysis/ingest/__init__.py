"""Ingestion: a user's file (feedback or market series) → validated canonical rows + a load report.

Names are resolved on first use (PEP 562) so that `from analysis.ingest import ingest_file` does not import
pandas: a re-load of the same bytes is answered without it (analysis/ingest/load.py)."""
from importlib import import_module

_WHERE = {"IngestError": "limits", "LoadReport": "load_report", "reason_label": "load_report",
          "ingest_bytes": "load", "ingest_file": "load", "prepare_feedback": "feedback",
          "preview": "feedback"}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'analysis.ingest' has no attribute {name!r}")
    return getattr(import_module(f"analysis.ingest.{_WHERE[name]}"), name)
