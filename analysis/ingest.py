"""Feedback ingestion: any supported file -> validated canonical rows + a load report, in one transaction.

Row-level problems never fail a load: each rejected row is kept (in `rejected_rows`, downloadable) with
its reason. File-level problems (empty, binary, no text column, no valid date at all) raise IngestError
and leave the database exactly as it was.
"""
from __future__ import annotations

import hashlib
import os
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis import metrics
from analysis.parsing import age_to_segment, parse_dates, parse_ratings
from analysis.readers import IngestError, RawTable, check_size, read_table
from analysis.schema import FEEDBACK_SYNONYMS, Mapping, accepted_synonyms, auto_map
from analysis.store import Store

__all__ = ["IngestError", "LoadReport", "ingest_bytes", "ingest_file", "prepare_feedback", "preview"]

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


def max_text_chars() -> int:
    return int(os.environ.get("SABOR_MAX_TEXT_CHARS", "10000"))


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
        lines.append(f"{L('Columnas', 'Columns')}: " + ", ".join(f"{k} ← {v}" for k, v in self.mapping.items()))
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
            out.append(f"{self.ambiguous_dates:,} fechas ambiguas (día/mes) leídas como día primero" if es else
                       f"{self.ambiguous_dates:,} ambiguous dates (day/month) read day-first")
        return out


def reason_label(code: str, lang: str = "es") -> str:
    es, en = REASONS.get(code, (code, code))
    return en if lang == "en" else es


# ----------------------------------------------------------------------------------------------
@dataclass
class Prepared:
    rows: pd.DataFrame          # canonical columns + source_row + date_precision, valid rows only
    rejected: pd.DataFrame      # source_row, reason, raw (JSON text)
    mapping: Mapping
    report: LoadReport


def preview(data: bytes, file_name: str, overrides: dict[str, str] | None = None,
            kind: str = "feedback") -> tuple[RawTable, Mapping]:
    """Read a file and propose the column mapping, without touching the database (for the UI editor)."""
    from analysis.market import MARKET_SYNONYMS_ALL

    raw = read_table(data, file_name)
    syn = FEEDBACK_SYNONYMS if kind == "feedback" else MARKET_SYNONYMS_ALL
    return raw, auto_map(list(raw.df.columns), syn, overrides)


def _clean_text(s: pd.Series) -> pd.Series:
    # Arrow string kernels (RE2, vectorised): a Python regex per row costs seconds per million rows.
    arr = pa.array(s.astype("string").fillna(""), type=pa.large_string())
    arr = pc.replace_substring_regex(arr, r"(?i)<br\s*/?>", " ")
    arr = pc.utf8_trim_whitespace(arr)
    # Some exports wrap every value in literal quotes ("""texto""" in the CSV).
    arr = pc.utf8_trim_whitespace(pc.replace_substring_regex(arr, r'(?s)^"(.*)"$', r"\1"))
    return pd.Series(arr.to_pandas(types_mapper=pd.ArrowDtype).astype("string"), index=s.index)


_NULLISH = {"", "n/i", "n/a", "na", "null", "none", "-", "nan", "s/d"}


def _clean_dim(s: pd.Series) -> pd.Series:
    """Trim, collapse spaces, unwrap quotes, blank -> None. Dimensions repeat a handful of values, so
    each distinct value is cleaned once."""
    codes, uniques = pd.factorize(s.astype("string"), use_na_sentinel=True)
    if len(uniques) > 5000:  # an id-like column: trim vectorised instead of per distinct value
        t = s.astype("string").str.strip()
        return t.astype(object).where(~t.str.lower().isin(_NULLISH).fillna(True), None)
    cleaned = []
    for u in uniques:
        v = re.sub(r"\s+", " ", str(u)).strip()
        v = v[1:-1].strip() if len(v) >= 2 and v[0] == v[-1] == '"' else v
        cleaned.append(None if v.lower() in _NULLISH else v)
    table = np.array(cleaned + [None], dtype=object)  # code -1 (missing) -> last slot
    return pd.Series(table[codes], index=s.index, dtype=object)


def _infer_text_column(df: pd.DataFrame, exclude: set[str]) -> str | None:
    best, best_len = None, 0.0
    for c in df.columns:
        if c in exclude or pd.api.types.is_datetime64_any_dtype(df[c]):
            continue
        s = df[c].astype("string").fillna("")
        sample = s.head(2000)
        avg = sample.str.len().mean()
        spaced = sample.str.contains(" ", regex=False).mean()
        if avg >= 25 and spaced >= 0.6 and avg > best_len:
            best, best_len = c, avg
    return best


def prepare_feedback(raw: RawTable, file_name: str, overrides: dict[str, str] | None = None) -> Prepared:
    df = raw.df
    if len(df.columns) == 0:
        raise IngestError(f"{file_name}: no se encontraron encabezados.", "empty_file")
    try:
        mapping = auto_map(list(df.columns), FEEDBACK_SYNONYMS, overrides)
    except ValueError as e:
        raise IngestError(f"{file_name}: {e}", "bad_mapping") from None
    report = LoadReport(file_name=file_name, kind="feedback", encoding=raw.encoding, delimiter=raw.delimiter)
    report.warnings.extend(raw.notes)
    if "text" not in mapping.columns:
        guess = _infer_text_column(df, set(mapping.columns.values()))
        if guess is None:
            raise IngestError(
                f"{file_name}: no se encontró la columna de comentarios. Columnas del archivo: "
                f"{', '.join(map(str, df.columns))}. Nombres aceptados: {accepted_synonyms('text')}. "
                f"Indique cuál es con --map text=<columna> o en el editor de columnas.", "no_text_column")
        mapping.columns["text"], mapping.source["text"] = guess, "inferred"
        mapping.unmapped = [h for h in mapping.unmapped if h != guess]
        report.warnings.append(f"columna de texto deducida: '{guess}' (la de textos más largos)")
    if df.empty and not raw.bad_lines:
        raise IngestError(f"{file_name}: el archivo solo tiene encabezados, no filas de datos.", "header_only")

    n = len(df)
    cols = mapping.columns
    out = pd.DataFrame(index=df.index)
    out["source_row"] = pd.RangeIndex(2, n + 2)  # row 1 is the header, as in a spreadsheet
    out["text"] = _clean_text(df[cols["text"]])
    reason = pd.Series(None, index=df.index, dtype=object)
    reason[out["text"].str.len() == 0] = "empty_text"
    too_long = out["text"].str.len() > max_text_chars()
    reason[too_long & reason.isna()] = "text_too_long"
    if too_long.any():
        report.warnings.append(f"{int(too_long.sum())} comentarios superan {max_text_chars():,} caracteres "
                               f"(SABOR_MAX_TEXT_CHARS): rechazados, descargables en filas rechazadas")

    if "date" in cols:
        dp = parse_dates(df[cols["date"]])
        n_present = int((dp.dates.notna() | dp.invalid).sum())
        if n_present and dp.dates.notna().sum() == 0:
            examples = ", ".join(df[cols["date"]].astype(str).head(3))
            raise IngestError(
                f"{file_name}: ninguna fecha de la columna '{cols['date']}' es válida (ejemplos: {examples}). "
                f"Formatos aceptados: 2024-03-15, 15/03/2024, 15-03-24, 15 de marzo de 2024, mar-2024, "
                f"segundos unix. Corrija la columna o indique otra con --map date=<columna>.", "no_valid_date")
        out["date"] = dp.dates.dt.date.astype(object).where(dp.dates.notna(), None)
        out["date_precision"] = dp.precision
        reason[dp.invalid & reason.isna()] = "invalid_date"
        report.date_formats, report.ambiguous_dates = dp.formats, dp.ambiguous
        if dp.month_first:
            report.warnings.append("fechas mes/día (formato EE. UU.) detectadas: ningún valor podía ser día/mes")
        missing = int((~dp.invalid & dp.dates.isna()).sum())
        if missing:
            report.warnings.append(f"{missing:,} filas sin fecha: cargadas, pero no cuentan en tendencias")
        year_only = int((dp.precision == "year").sum())
        if year_only:
            report.warnings.append(f"{year_only:,} filas con solo el año: cargadas, fuera de las tendencias "
                                   f"mensuales")
    else:
        out["date"], out["date_precision"] = None, None
        report.warnings.append("no hay columna de fecha: los comentarios no contarán en las tendencias")

    if "rating" in cols:
        rp = parse_ratings(df[cols["rating"]])
        out["rating"] = rp.ratings
        report.rating_scale = rp.scale
        if rp.invalid.any():
            report.warnings.append(f"{int(rp.invalid.sum()):,} calificaciones no válidas: filas cargadas sin "
                                   f"calificación")
    else:
        out["rating"] = float("nan")

    for c in ("product", "brand", "category", "region", "channel", "segment", "lang"):
        out[c] = _clean_dim(df[cols[c]]) if c in cols else None
    if "segment" in cols:
        ages = age_to_segment(df[cols["segment"]])
        if ages is not None:
            out["segment"] = ages
            report.warnings.append(f"'{cols['segment']}' tiene edades: agrupadas en rangos de edad")
    if "lang" in cols:
        low = out["lang"].astype("string").str.lower().str[:2]
        out["lang"] = low.map({"es": "es", "sp": "es", "en": "en", "in": "en"}).astype(object)
    out["source_id"] = _clean_dim(df[cols["feedback_id"]]) if "feedback_id" in cols else None

    bad = reason.notna()
    rejected = pd.DataFrame({"source_row": out.loc[bad, "source_row"], "reason": reason[bad]})
    if bad.any():
        rejected["raw"] = df[bad].to_json(orient="records", lines=True, force_ascii=False).splitlines()
    if raw.bad_lines:
        rejected = pd.concat([rejected, pd.DataFrame({
            "source_row": [ln for ln, _ in raw.bad_lines], "reason": "malformed_line",
            "raw": [pd.Series({"line": t}).to_json(force_ascii=False) for _, t in raw.bad_lines]})],
            ignore_index=True)
    report.mapping, report.mapping_source = dict(cols), dict(mapping.source)
    report.unmapped_columns = list(mapping.unmapped)
    report.rows_read = n + len(raw.bad_lines)
    return Prepared(out[~bad].reset_index(drop=True), rejected.reset_index(drop=True), mapping, report)


# ----------------------------------------------------------------------------------------------
def ingest_bytes(store: Store, data: bytes, file_name: str, overrides: dict[str, str] | None = None,
                 kind: str = "feedback") -> LoadReport:
    """Load one uploaded file. Raises IngestError (database untouched) when the file is unusable."""
    from analysis import market

    start = time.perf_counter()
    name = Path(file_name).name
    try:
        raw = read_table(data, name)
        prepared = (prepare_feedback(raw, name, overrides) if kind == "feedback"
                    else market.prepare_market(raw, name, overrides))
    except IngestError as e:
        metrics.UPLOAD_ERRORS.labels(reason=e.reason).inc()
        raise
    rep = prepared.report
    rep.sha256, rep.size_bytes = hashlib.sha256(data).hexdigest(), len(data)
    previous = store.scalar("SELECT max(loaded_at) FROM uploads WHERE sha256 = ?", [rep.sha256])
    if previous is not None:
        rep.warnings.append(f"este mismo archivo ya se cargó el {previous:%Y-%m-%d %H:%M}: sus filas cuentan "
                            f"como duplicadas")
    loader = store.load_feedback if kind == "feedback" else store.load_market
    counts = loader(prepared.rows, prepared.rejected, rep)
    for k, v in counts.items():
        setattr(rep, k, v)
    rep.rows_duplicate = rep.duplicates_in_file + rep.duplicates_in_db
    rep.seconds = round(time.perf_counter() - start, 3)
    metrics.FEEDBACK_ROWS_INGESTED.labels(kind=kind).inc(rep.rows_loaded)
    metrics.INGEST_DUPLICATES.inc(rep.rows_duplicate)
    for r, c in rep.rejected_by_reason.items():
        metrics.INGEST_ROWS_REJECTED.labels(reason=r).inc(c)
    metrics.INGEST_SECONDS.labels(kind=kind).observe(rep.seconds)
    store.refresh_gauges()
    return rep


def ingest_file(store: Store, path: str | Path, overrides: dict[str, str] | None = None,
                kind: str = "feedback") -> LoadReport:
    p = Path(path)
    if not p.is_file():
        raise IngestError(f"{p}: el archivo no existe.", "not_found")
    try:
        check_size(p.stat().st_size, p.name)  # refuse before reading a huge file into memory
    except IngestError as e:
        metrics.UPLOAD_ERRORS.labels(reason=e.reason).inc()
        raise
    return ingest_bytes(store, p.read_bytes(), p.name, overrides, kind)
