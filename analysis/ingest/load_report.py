"""The load report a user reads after every upload, and the prepared rows a loader hands to the store."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import pandas as pd

from analysis.ingest.schema import Mapping

REASONS = {
    "empty_text": ("texto vacío", "empty text"),
    "text_too_long": ("texto demasiado largo", "text too long"),
    "invalid_date": ("fecha no reconocida o fuera de rango", "date not recognised or out of range"),
    "malformed_line": ("línea mal formada (número de columnas distinto)", "malformed line (column count)"),
    "invalid_value": ("valor no numérico", "value is not a number"),
    "missing_metric_key": ("falta fecha o métrica", "missing date or metric"),
    "repeated_key": ("mes, producto, región y métrica repetidos con otro valor",
                     "month, product, region and metric repeated with another value"),
}


@dataclass
class LoadReport:
    file_name: str
    kind: str = "feedback"
    upload_id: str = ""
    sha256: str = ""
    size_bytes: int = 0
    encoding: str | None = None
    delimiter: str | None = None
    mapping: dict = field(default_factory=dict)
    mapping_source: dict = field(default_factory=dict)
    unmapped_columns: list = field(default_factory=list)
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    rejected_by_reason: dict = field(default_factory=dict)
    rows_duplicate: int = 0
    duplicates_in_file: int = 0
    duplicates_in_db: int = 0
    date_min: str | None = None
    date_max: str | None = None
    date_formats: dict = field(default_factory=dict)
    ambiguous_dates: int = 0
    rating_scale: str | None = None
    warnings: list = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)

    def to_text(self, lang: str = "es") -> str:
        es = lang != "en"
        L = (lambda a, b: a if es else b)
        lines = [
            f"{L('Archivo', 'File')}: {self.file_name}  ({self.kind}, {self.encoding or '-'})",
            f"{L('Filas leídas', 'Rows read')}: {self.rows_read:,}",
            f"{L('Filas cargadas', 'Rows loaded')}: {self.rows_loaded:,}",
            f"{L('Filas rechazadas', 'Rows rejected')}: {self.rows_rejected:,}",
        ]
        for reason, n in self.rejected_by_reason.items():
            lines.append(f"  - {reason_label(reason, lang)}: {n:,}")
        lines.append(f"{L('Duplicados omitidos', 'Duplicates skipped')}: {self.rows_duplicate:,} "
                     f"({L('en el archivo', 'in file')} {self.duplicates_in_file:,}, "
                     f"{L('ya cargados', 'already loaded')} {self.duplicates_in_db:,})")
        if self.date_min:
            lines.append(f"{L('Rango de fechas', 'Date range')}: {self.date_min} .. {self.date_max}")
        lines.append(f"{L('Columnas', 'Columns')}: "
                     + ", ".join(f"{k} ← {v}" for k, v in self.mapping.items()))
        if self.unmapped_columns:
            lines.append(f"{L('Columnas no usadas', 'Unused columns')}: {', '.join(self.unmapped_columns)}")
        lines.extend(self.notices(lang))
        for w in self.warnings:
            lines.append(f"! {w}")
        return "\n".join(lines)

    def notices(self, lang: str = "es") -> list[str]:
        """Decisions the loader made for the user (rating rescaled, ambiguous dates read day-first)."""
        es = lang != "en"
        out = []
        if self.rating_scale and self.rating_scale != "1-5":
            out.append(f"Escala de calificación {self.rating_scale} detectada y normalizada a 1-5" if es else
                       f"Rating scale {self.rating_scale} detected and normalised to 1-5")
        if self.ambiguous_dates:
            out.append(f"{self.ambiguous_dates:,} fechas ambiguas (día/mes) leídas como día primero"
                       if es else
                       f"{self.ambiguous_dates:,} ambiguous dates (day/month) read day-first")
        return out


def reason_label(code: str, lang: str = "es") -> str:
    es, en = REASONS.get(code, (code, code))
    return en if lang == "en" else es


@dataclass
class Prepared:
    rows: pd.DataFrame          # canonical columns + source_row + date_precision, valid rows only
    rejected: pd.DataFrame      # source_row, reason, raw (JSON text)
    mapping: Mapping
    report: LoadReport


