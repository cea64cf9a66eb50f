"""What refuses a file before it is read: the IngestError every stage raises, and the size limits
(settings). No pandas here, so that answering a re-load (analysis/ingest/load.py) stays light."""
from __future__ import annotations

import os


class IngestError(Exception):
    """A file refused as a whole. `reason` is a short code for metrics; str() is the user message."""

    def __init__(self, message: str, reason: str = "invalid_file"):
        super().__init__(message)
        self.reason = reason


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    try:
        return float(raw) if raw else default
    except ValueError:
        return default


def max_upload_bytes() -> int:
    return int(_env_number("SABOR_MAX_UPLOAD_MB", 200) * 1024 * 1024)


def max_rows() -> int:
    return int(_env_number("SABOR_MAX_ROWS", 2_000_000))


def max_unzipped_bytes() -> int:
    return int(_env_number("SABOR_MAX_UNZIPPED_MB", 250) * 1024 * 1024)


def check_size(size: int, name: str) -> None:
    limit = max_upload_bytes()
    if size > limit:
        raise IngestError(
            f"{name}: el archivo pesa {size / 1e6:.1f} MB y el límite es {limit / 1e6:.0f} MB "
            f"(SABOR_MAX_UPLOAD_MB). Divídalo en partes o suba el límite.", "too_large")


def check_rows(n: int, name: str) -> None:
    if n > max_rows():
        raise IngestError(
            f"{name}: el archivo tiene más de {max_rows():,} filas (SABOR_MAX_ROWS). Divídalo en partes o "
            f"suba el límite.", "too_many_rows")


def check_unzipped(size: int, name: str, what: str) -> None:
    limit = max_unzipped_bytes()
    if size > limit:
        raise IngestError(
            f"{name}: {what} ocupa {size / 1e6:,.0f} MB descomprimido y el límite es {limit / 1e6:,.0f} MB "
            f"(SABOR_MAX_UNZIPPED_MB); no se leyó. Divídalo en partes o expórtelo como CSV.", "too_large")
