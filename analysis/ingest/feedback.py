"""Feedback ingestion: any supported file -> validated canonical rows + a load report, in one transaction.

Row-level problems never fail a load: each rejected row is kept (in `rejected_rows`, downloadable) with
its reason. File-level problems (empty, binary, no text column, no valid date at all) raise IngestError
and leave the database exactly as it was.
"""
from __future__ import annotations

import os

import pandas as pd

from analysis.ingest.load_report import LoadReport, Prepared, rows_as_json, truncate_text
from analysis.ingest.parsing import age_to_segment, clean_dim, clean_text, parse_dates, parse_ratings
from analysis.ingest.readers import IngestError, RawTable, read_table
from analysis.ingest.schema import FEEDBACK_SYNONYMS, MARKET_SYNONYMS, Mapping, accepted_synonyms, auto_map


def max_text_chars() -> int:
    return int(os.environ.get("SABOR_MAX_TEXT_CHARS", "10000"))


def preview(data: bytes, file_name: str, overrides: dict[str, str] | None = None,
            kind: str = "feedback") -> tuple[RawTable, Mapping]:
    """Read a file and propose the column mapping, without touching the database (for the UI editor)."""
    raw = read_table(data, file_name)
    syn = FEEDBACK_SYNONYMS if kind == "feedback" else MARKET_SYNONYMS
    return raw, auto_map(list(raw.df.columns), syn, overrides)


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
        raise IngestError(f"{file_name}: el archivo solo tiene encabezados, no filas de datos.",
                          "header_only")

    n = len(df)
    cols = mapping.columns
    out = pd.DataFrame(index=df.index)
    # Where the row starts in the file (its line; row 1 is the header, as in a spreadsheet).
    out["source_row"] = (pd.RangeIndex(2, n + 2) if raw.source_rows is None
                         else pd.Series(raw.source_rows, index=df.index, dtype="int64"))
    out["text"] = clean_text(df[cols["text"]])
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
                f"{file_name}: ninguna fecha de la columna '{cols['date']}' es válida "
                f"(ejemplos: {examples}). "
                f"Formatos aceptados: 2024-03-15, 15/03/2024, 15-03-24, 15 de marzo de 2024, mar-2024, "
                f"segundos unix. Corrija la columna o indique otra con --map date=<columna>.",
                "no_valid_date")
        out["date"] = dp.dates.dt.date.astype(object).where(dp.dates.notna(), None)
        out["date_precision"] = dp.precision
        reason[dp.invalid & reason.isna()] = "invalid_date"
        report.date_formats, report.ambiguous_dates = dp.formats, dp.ambiguous
        if dp.month_first:
            report.warnings.append("fechas mes/día (formato EE. UU.) detectadas: "
                                   "ningún valor podía ser día/mes")
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
        reason[rp.out_of_range & reason.isna()] = "rating_out_of_range"
        if rp.out_of_range.any():
            report.warnings.append(f"{int(rp.out_of_range.sum()):,} calificaciones por encima de la escala "
                                   f"{rp.scale} (p. ej. {df.loc[rp.out_of_range, cols['rating']].iloc[0]}): "
                                   f"filas rechazadas, no se cambió la escala de las demás")
        if rp.invalid.any():
            report.warnings.append(f"{int(rp.invalid.sum()):,} calificaciones no válidas: filas cargadas sin "
                                   f"calificación")
    else:
        out["rating"] = float("nan")

    for c in ("product", "brand", "category", "region", "channel", "segment", "lang"):
        out[c] = clean_dim(df[cols[c]]) if c in cols else None
    if "segment" in cols:
        ages = age_to_segment(df[cols["segment"]])
        if ages is not None:
            out["segment"] = ages
            report.warnings.append(f"'{cols['segment']}' tiene edades: agrupadas en rangos de edad")
    if "lang" in cols:
        low = out["lang"].astype("string").str.lower().str[:2]
        out["lang"] = low.map({"es": "es", "sp": "es", "en": "en", "in": "en"}).astype(object)
    out["source_id"] = clean_dim(df[cols["feedback_id"]]) if "feedback_id" in cols else None

    bad = reason.notna()
    rejected = pd.DataFrame({"source_row": out.loc[bad, "source_row"], "reason": reason[bad]})
    if bad.any():
        # The original cells, each cut to SABOR_MAX_REJECTED_CELL_CHARS (a 50 MB cell is not stored whole).
        rejected["raw"] = rows_as_json(df[bad])
    if raw.bad_lines:
        rejected = pd.concat([rejected, pd.DataFrame({
            "source_row": [ln for ln, _ in raw.bad_lines], "reason": "malformed_line",
            "raw": [pd.Series({"line": truncate_text(t)}).to_json(force_ascii=False)
                    for _, t in raw.bad_lines]})],
            ignore_index=True)
        rejected = rejected.sort_values("source_row", kind="stable")
    report.mapping, report.mapping_source = dict(cols), dict(mapping.source)
    report.unmapped_columns = list(mapping.unmapped)
    report.rows_read = n + len(raw.bad_lines)
    return Prepared(out[~bad].reset_index(drop=True), rejected.reset_index(drop=True), mapping, report)
