"""Market-trends ingestion: monthly sales, search interest or prices per product (and region).

Accepts the long layout (date, product, region, metric, value) and the wide one (one numeric column per
metric, e.g. "Índice de ventas", "PProm", "Volumen"), and a date split into year + month columns.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.ingest.load_report import LoadReport, Prepared, rows_as_json, truncate_text
from analysis.ingest.parsing import MONTHS, _fold, clean_dim, parse_dates
from analysis.ingest.readers import IngestError, RawTable
from analysis.ingest.schema import MARKET_SYNONYMS, auto_map


def _month_dates(df: pd.DataFrame, cols: dict[str, str], file_name: str) -> pd.Series:
    """Month start dates from a date column, or from separate year and month columns."""
    if "year" in cols:
        year = pd.to_numeric(df[cols["year"]], errors="coerce")
        if "date" in cols:
            m = df[cols["date"]].astype("string").map(
                lambda v: MONTHS.get(_fold(v)) if isinstance(v, str) else None)
            num = pd.to_numeric(df[cols["date"]], errors="coerce")
            month = m.astype("Float64").fillna(num.astype("Float64"))
        else:
            month = pd.Series(1, index=df.index)
        text = (year.astype("Int64").astype("string") + "-"
                + month.astype("Int64").astype("string").str.zfill(2))
        return pd.to_datetime(text, format="%Y-%m", errors="coerce")
    if "date" not in cols:
        raise IngestError(f"{file_name}: no se encontró la columna de mes/fecha (acepta: "
                          f"{', '.join(MARKET_SYNONYMS['date'])}).", "no_date_column")
    dp = parse_dates(df[cols["date"]])
    if dp.dates.notna().sum() == 0:
        raise IngestError(f"{file_name}: ninguna fecha de '{cols['date']}' es válida (ejemplos: "
                          f"{', '.join(df[cols['date']].astype(str).head(3))}).", "no_valid_date")
    return dp.dates.dt.to_period("M").dt.to_timestamp()


def _to_number(s: pd.Series) -> pd.Series:
    """Numbers as floats; NaN where a cell is not a finite number ("inf", "1e999", "NaN" are not)."""
    num = _parse_number(s)
    return num.where(np.isfinite(num.to_numpy(dtype=float, na_value=np.nan)))


def _parse_number(s: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(s):
        return s.astype(float)
    t = s.astype("string").str.strip().str.replace(r"^(S/\.?|\$)\s*", "", regex=True)
    # "1.234,5" (es) and "1,234.5" (en): drop the thousands separator the number itself shows.
    t = t.where(~t.str.contains(r"\d\.\d{3},", regex=True, na=False),
                t.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
    t = t.str.replace(r"(?<=\d),(?=\d{3}\b)", "", regex=True).str.replace(",", ".", regex=False)
    return pd.to_numeric(t.replace({"NA": None, "": None, "-": None}), errors="coerce")


def _mostly_numeric(s: pd.Series) -> bool:
    filled = ~s.astype("string").fillna("").str.strip().isin(["", "NA", "NaN", "nan", "-"])
    conv = _to_number(s)
    return bool(conv.notna().any()) and conv.notna().sum() >= 0.8 * filled.sum()


def prepare_market(raw: RawTable, file_name: str, overrides: dict[str, str] | None = None) -> Prepared:
    df = raw.df
    if df.empty:
        raise IngestError(f"{file_name}: el archivo no tiene filas de datos.", "header_only")
    try:
        mapping = auto_map(list(df.columns), MARKET_SYNONYMS, overrides)
    except ValueError as e:  # an override naming an unknown column: the file is refused, as for feedback
        raise IngestError(f"{file_name}: {e}", "bad_mapping") from None
    cols = mapping.columns
    report = LoadReport(file_name=file_name, kind="market", encoding=raw.encoding, delimiter=raw.delimiter)
    report.warnings.extend(raw.notes)
    rows_at = (pd.RangeIndex(2, len(df) + 2) if raw.source_rows is None
               else pd.Series(raw.source_rows, index=df.index, dtype="int64"))
    base = pd.DataFrame({"source_row": rows_at}, index=df.index)
    base["date"] = _month_dates(df, cols, file_name)
    for c in ("product", "category", "region"):
        base[c] = clean_dim(df[cols[c]]) if c in cols else None
    if "product" not in cols and "category" not in cols:
        raise IngestError(f"{file_name}: falta la columna de producto o categoría (acepta: "
                          f"{', '.join(MARKET_SYNONYMS['product'])}).", "no_product_column")

    if "metric" in cols and "value" in cols:
        long = base.assign(metric=clean_dim(df[cols["metric"]]), value=_to_number(df[cols["value"]]),
                           _raw=df[cols["value"]].astype("string"))
        layout = "largo"
    else:
        used = set(cols.values())
        candidates = [c for c in df.columns if c not in used]
        numeric = [c for c in candidates if _mostly_numeric(df[c])]
        if not numeric:
            raise IngestError(f"{file_name}: no hay columnas numéricas de métricas (formato ancho) "
                              f"ni columnas 'métrica' y 'valor' (formato largo).", "no_metric_columns")
        parts = [base.assign(metric=str(c), value=_to_number(df[c]), _raw=df[c].astype("string"))
                 for c in numeric]
        long = pd.concat(parts, ignore_index=True)
        layout = f"ancho ({len(numeric)} métricas: {', '.join(map(str, numeric))})"
        mapping.unmapped = [c for c in mapping.unmapped if c not in numeric]
    report.warnings.append(f"formato {layout}")

    empty_value = long["_raw"].fillna("").str.strip().isin(["", "NA", "NaN", "nan", "-"])
    reason = pd.Series(None, index=long.index, dtype=object)
    reason[long["date"].isna() | long["metric"].isna()] = "missing_metric_key"
    reason[reason.isna() & long["value"].isna() & ~empty_value] = "invalid_value"
    skipped_empty = int((long["value"].isna() & empty_value & reason.isna()).sum())
    if skipped_empty:
        report.warnings.append(f"{skipped_empty:,} celdas de métrica vacías (NA): no hay dato que cargar")
    keep = reason.isna() & long["value"].notna()
    # The same key twice in one file: keep the first value, reject the others with the reason.
    key = ["date", "product", "category", "region", "metric"]
    dup = long[keep].duplicated(subset=key, keep="first")
    same_value = long[keep].duplicated(subset=key + ["value"], keep="first")
    reason.loc[dup[dup & ~same_value].index] = "repeated_key"
    exact_dups = int((dup & same_value).sum())
    keep = reason.isna() & long["value"].notna() & ~long.index.isin(dup[dup & same_value].index)
    bad = reason.notna()
    # The rejected cell as written in the file ("inf", "abc"), not the number it failed to become.
    as_written = long.loc[bad].drop(columns=["value"]).rename(columns={"_raw": "value"})
    rejected = pd.DataFrame({"source_row": long.loc[bad, "source_row"], "reason": reason[bad],
                             "raw": rows_as_json(as_written)})
    if raw.bad_lines:
        rejected = pd.concat([rejected, pd.DataFrame({
            "source_row": [ln for ln, _ in raw.bad_lines], "reason": "malformed_line",
            "raw": [pd.Series({"line": truncate_text(t)}).to_json(force_ascii=False)
                    for _, t in raw.bad_lines]})], ignore_index=True)
    rows = long.loc[keep].drop(columns=["_raw"]).copy()
    rows["date"] = rows["date"].dt.date
    report.mapping, report.mapping_source = dict(cols), dict(mapping.source)
    report.unmapped_columns = list(mapping.unmapped)
    report.rows_read = len(df) + len(raw.bad_lines)
    report.duplicates_in_file = exact_dups
    return Prepared(rows.reset_index(drop=True), rejected.reset_index(drop=True), mapping, report)
