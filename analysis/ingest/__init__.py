"""Ingestion: a user's file (feedback or market series) → validated canonical rows + a load report."""
from analysis.ingest.feedback import ingest_bytes, ingest_file, prepare_feedback, preview
from analysis.ingest.load_report import LoadReport, reason_label
from analysis.ingest.readers import IngestError

__all__ = ["IngestError", "LoadReport", "ingest_bytes", "ingest_file", "prepare_feedback", "preview",
           "reason_label"]
