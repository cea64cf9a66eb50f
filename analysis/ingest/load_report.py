"""The load report a user reads after every upload, and the prepared rows a loader hands to the store."""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from analysis.ingest.schema import Mapping

if TYPE_CHECKING:             # pandas only where rows are handled: a re-load's report is built without it
    import pandas as pd

REASONS = {
    "empty_text": ("texto vacío", "empty text"),
    "text_too_long": ("texto demasiado largo", "text too long"),
    "invalid_date": ("fecha no reconocida o fuera de rango", "date not recognised or out of range"),
    "malformed_line": ("línea o registro mal formado (columnas de más, comilla sin cerrar, JSON roto)",
                       "malformed line or record (extra columns, open quote, broken JSON)"),
    "rating_out_of_range": ("calificación fuera de la escala (p. ej. 999 en una escala 1-5)",
                            "rating above the scale (e.g. 999 on a 1-5 scale)"),
    "invalid_value": ("valor no numérico o no finito", "value is not a finite number"),
    "missing_metric_key": ("falta fecha o métrica", "missing date or metric"),
    "repeated_key": ("mes, producto, región y métrica repetidos con otro valor",
                     "month, product, region and metric repeated with another value"),
}


def max_rejected_cell_chars() -> int:
    """Longest cell kept in `rejected_rows` (SABOR_MAX_REJECTED_CELL_CHARS): a rejected 50 MB cell is kept
    as its beginning and its length, enough to find and fix it in the source file."""
    try:
        return max(int(os.environ.get("SABOR_MAX_REJECTED_CELL_CHARS", "2000")), 1)
    except ValueError:
        return 2000


def _cut(n: int, limit: int) -> str:
    return f"… [recortado: {n:,} caracteres]"


def truncate_text(text: str) -> str:
    limit = max_rejected_cell_chars()
    return text if len(text) <= limit else text[:limit] + _cut(len(text), limit)


def rows_as_json(df: pd.DataFrame) -> list[str]:
    """Each row of `df` as one JSON object (what a rejected row keeps of the file), cells cut to the limit.

    Split on the newline pandas writes between records only: `str.splitlines` also splits inside values at
    U+0085, U+2028 and U+2029, which JSON leaves unescaped, and then the list no longer matches the rows."""
    if df.empty:
        return []
    text = truncate_cells(df).to_json(orient="records", lines=True, force_ascii=False, date_format="iso")
    return text.rstrip("\n").split("\n")


def truncate_cells(df: pd.DataFrame) -> pd.DataFrame:
    """Text cells longer than the limit cut to it, with their full length said (vectorised)."""
    import pandas as pd

    limit = max_rejected_cell_chars()
    out = df.copy()
    for c in out.columns:
        s = out[c]
        if not (s.dtype == object or pd.api.types.is_string_dtype(s)):
            continue
        txt = s.astype("string")
        n = txt.str.len()
        long = (n > limit).fillna(False).astype(bool)
        if long.any():
            cut = txt[long].str.slice(0, limit) + n[long].map(lambda k: _cut(int(k), limit))
            out[c] = s.astype(object).where(~long, cut.astype(object))
    return out


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
    # Set when these exact bytes were loaded before: {"upload_id", "number", "loaded_at", "file_name"};
    # then nothing was read or written, and the counts say what the earlier load did with the same rows.
    already_loaded: dict | None = None

    @classmethod
    def already(cls, file_name: str, kind: str, sha256: str, size: int, prev: dict) -> LoadReport:
        """The answer for a file whose bytes are already loaded (upload `prev`): every row it had loaded or
        found already there is a duplicate now, its rejected rows would be rejected again."""
        old = prev.get("report") or {}
        return cls(file_name=file_name, kind=kind, upload_id=prev["upload_id"], sha256=sha256,
                   size_bytes=size, encoding=old.get("encoding"), delimiter=old.get("delimiter"),
                   mapping=old.get("mapping") or {}, mapping_source=old.get("mapping_source") or {},
                   rows_read=int(old.get("rows_read") or 0), rows_loaded=0,
                   rows_rejected=int(old.get("rows_rejected") or 0),
                   rejected_by_reason=old.get("rejected_by_reason") or {},
                   duplicates_in_file=int(old.get("duplicates_in_file") or 0),
                   duplicates_in_db=int(old.get("rows_loaded") or 0) + int(old.get("duplicates_in_db") or 0),
                   rows_duplicate=int(old.get("rows_read") or 0) - int(old.get("rows_rejected") or 0),
                   date_min=old.get("date_min"), date_max=old.get("date_max"),
                   already_loaded={"upload_id": prev["upload_id"], "number": prev["number"],
                                   "loaded_at": f"{prev['loaded_at']:%Y-%m-%d %H:%M}",
                                   "file_name": prev["file_name"]})

    def already_text(self, lang: str = "es") -> str | None:
        """"ya cargado el DATE (carga N)" when these bytes were loaded before, else None."""
        a = self.already_loaded
        if not a:
            return None
        if lang == "en":
            return (f"already loaded on {a['loaded_at']} (upload {a['number']}, {a['file_name']}): "
                    f"nothing changed")
        return f"ya cargado el {a['loaded_at']} (carga {a['number']}, {a['file_name']}): no se cambió nada"

    def to_dict(self) -> dict:
        return asdict(self)

    def to_text(self, lang: str = "es") -> str:
        es = lang != "en"
        L = (lambda a, b: a if es else b)
        if self.already_loaded:
            return f"{L('Archivo', 'File')}: {self.file_name}\n{self.already_text(lang)}"
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


