"""Read an uploaded file (CSV, TSV, XLSX, JSON, JSONL, Parquet) into a DataFrame of raw cells.

Everything is read as text (dates from Excel stay datetimes) so that parsing decisions are made once,
in analysis.ingest.parsing, and reported. Problems with the file as a whole raise IngestError with a message
that names the file and says what to do.
"""
from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

SUPPORTED = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".json", ".jsonl", ".ndjson", ".parquet")


class IngestError(Exception):
    """A file refused as a whole. `reason` is a short code for metrics; str() is the user message."""

    def __init__(self, message: str, reason: str = "invalid_file"):
        super().__init__(message)
        self.reason = reason


@dataclass
class RawTable:
    df: pd.DataFrame
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    notes: list[str] = field(default_factory=list)
    bad_lines: list[tuple[int, str]] = field(default_factory=list)  # (line number, raw line) unparseable


def max_upload_bytes() -> int:
    return int(float(os.environ.get("SABOR_MAX_UPLOAD_MB", "200")) * 1024 * 1024)


def check_size(size: int, name: str) -> None:
    limit = max_upload_bytes()
    if size > limit:
        raise IngestError(
            f"{name}: el archivo pesa {size / 1e6:.1f} MB y el límite es {limit / 1e6:.0f} MB "
            f"(SABOR_MAX_UPLOAD_MB). Divídalo en partes o suba el límite.", "too_large")


def read_table(data: bytes, file_name: str) -> RawTable:
    name = Path(file_name).name
    ext = Path(name).suffix.lower()
    check_size(len(data), name)
    if ext not in SUPPORTED:
        raise IngestError(
            f"{name}: formato '{ext or 'sin extensión'}' no soportado. Use CSV, TSV, XLSX, JSON, JSONL "
            f"o Parquet.", "unsupported_format")
    if not data.strip():
        raise IngestError(f"{name}: el archivo está vacío. Exporte de nuevo los datos con encabezados y "
                          f"al menos una fila.", "empty_file")
    # Trust the bytes over the name: a spreadsheet saved as .csv still reads as a spreadsheet.
    if data[:4] == b"PK\x03\x04":
        raw = _read_excel(data, name)
        if ext not in (".xlsx", ".xlsm"):
            raw.notes.append(f"el archivo se llama {ext} pero es un libro de Excel; se leyó como Excel")
        return raw
    if data[:4] == b"PAR1":
        return RawTable(_stringify(pd.read_parquet(io.BytesIO(data))))
    if ext in (".xlsx", ".xlsm"):
        raise IngestError(f"{name}: no es un libro de Excel válido (¿archivo dañado o renombrado?).",
                          "corrupt_file")
    if ext == ".parquet":
        raise IngestError(f"{name}: no es un archivo Parquet válido.", "corrupt_file")
    if _looks_binary(data):
        raise IngestError(f"{name}: contiene datos binarios, no texto. ¿Es una imagen, un PDF o un archivo "
                          f"comprimido renombrado? Exporte los datos como CSV, XLSX o JSON.", "binary_file")
    text, encoding, notes = decode_text(data)
    if ext in (".json", ".jsonl", ".ndjson"):
        raw = _read_json(text, name, ext)
    else:
        raw = _read_delimited(text, name, ext)
    raw.encoding = encoding
    raw.notes[:0] = notes
    return raw


def _looks_binary(data: bytes) -> bool:
    head = data[:8192]
    if b"\x00" in head:
        return True
    control = sum(1 for b in head if b < 32 and b not in (9, 10, 13))
    return control > len(head) * 0.05


def decode_text(data: bytes) -> tuple[str, str, list[str]]:
    """UTF-8 (with or without BOM) first; else per line, so that one Excel-on-Windows line in a UTF-8
    file neither turns the whole file into mojibake nor gets dropped."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig", []
        except UnicodeDecodeError:
            data = data[3:]
    try:
        return data.decode("utf-8"), "utf-8", []
    except UnicodeDecodeError:
        pass
    lines = data.split(b"\n")
    out, legacy = [], 0
    for line in lines:
        try:
            out.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            out.append(line.decode("cp1252", errors="replace"))
            legacy += 1
    if legacy == len(lines) or legacy > 0.5 * len(lines):
        return data.decode("cp1252", errors="replace"), "cp1252", []
    return "\n".join(out), "mixed utf-8/cp1252", [
        f"codificación mixta: {legacy} líneas estaban en Windows-1252 (cp1252) y se convirtieron a UTF-8"]


def _sniff_delimiter(text: str, ext: str) -> str:
    if ext == ".tsv":
        return "\t"
    sample = text[:65536]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        first = sample.split("\n", 1)[0]
        counts = {d: first.count(d) for d in ",;\t|"}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def _read_arrow(text: str, delim: str) -> pd.DataFrame | None:
    """Arrow's multithreaded CSV reader (several times faster than pandas on large files). Returns None
    when the file needs the careful path: repeated headers or any row Arrow cannot parse."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    header = next(csv.reader(io.StringIO(text.split("\n", 1)[0]), delimiter=delim), [])
    if not header or len(set(header)) != len(header):
        return None
    try:
        tbl = pacsv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(use_threads=True, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=delim, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(column_types={h: pa.string() for h in header},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    return tbl.to_pandas(types_mapper=lambda t: pd.StringDtype("pyarrow") if pa.types.is_string(t) else None)


def _read_delimited(text: str, name: str, ext: str) -> RawTable:
    delim = _sniff_delimiter(text, ext)
    if len(text) > 5_000_000 and (fast := _read_arrow(text, delim)) is not None:
        fast.columns = [str(c).replace("\ufeff", "").strip() for c in fast.columns]
        return RawTable(fast, delimiter=delim)
    kw = dict(sep=delim, dtype=str, keep_default_na=False, na_filter=False, skip_blank_lines=True)
    bad: list[tuple[int, str]] = []
    try:
        df = pd.read_csv(io.StringIO(text), engine="c", on_bad_lines="error", **kw)
    except pd.errors.EmptyDataError:
        raise IngestError(f"{name}: el archivo no tiene filas ni encabezados.", "empty_file") from None
    except pd.errors.ParserError:
        # Slow path only for broken files: keep every malformed line to report it.
        lines = text.split("\n")

        def keep(fields: list[str]):
            bad.append((len(bad), delim.join(fields)))

        df = pd.read_csv(io.StringIO(text), engine="python", on_bad_lines=keep, **kw)
        bad = [(_line_of(lines, raw), raw) for _, raw in bad]
    df.columns = [str(c).replace("\ufeff", "").strip() for c in df.columns]
    return RawTable(df, delimiter=delim, bad_lines=bad)


def _line_of(lines: list[str], raw: str) -> int:
    for i, line in enumerate(lines):
        if line.rstrip("\r") == raw:
            return i + 1
    return 0


def _read_json(text: str, name: str, ext: str) -> RawTable:
    stripped = text.lstrip()
    try:
        if ext in (".jsonl", ".ndjson") or (stripped.startswith("{") and "\n{" in stripped):
            records = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            obj = json.loads(text)
            records = _records_in(obj)
    except json.JSONDecodeError as e:
        raise IngestError(f"{name}: JSON inválido en la línea {e.lineno}, columna {e.colno}: {e.msg}.",
                          "invalid_json") from None
    if not records:
        raise IngestError(f"{name}: no se encontró una lista de registros en el JSON "
                          f"(se espera [{{...}}, ...] o una línea JSON por registro).", "invalid_json")
    df = pd.json_normalize(records)
    return RawTable(_stringify(df))


def _records_in(obj) -> list[dict]:
    if isinstance(obj, list):
        return [r for r in obj if isinstance(r, dict)]
    if isinstance(obj, dict):
        for v in obj.values():  # {"data": [...]} / {"reviews": [...]}
            if isinstance(v, list) and v and isinstance(v[0], dict):
                return v
    return []


def _read_excel(data: bytes, name: str) -> RawTable:
    try:
        sheets = pd.read_excel(io.BytesIO(data), sheet_name=None, header=None, engine="openpyxl")
    except Exception as e:  # openpyxl raises many types for damaged files
        raise IngestError(f"{name}: no se pudo abrir como Excel ({type(e).__name__}). ¿Está protegido "
                          f"con contraseña o dañado? Guárdelo de nuevo como .xlsx o CSV.",
                          "corrupt_file") from None
    # The first sheet with data; the header is the first row with at least two filled cells
    # (exports often put a title and a blank row above the table).
    for sheet, raw in sheets.items():
        raw = raw.dropna(how="all").dropna(axis=1, how="all")
        if raw.empty:
            continue
        header_idx = next((i for i, (_, row) in enumerate(raw.iterrows()) if row.notna().sum() >= 2), 0)
        header = [str(h).strip() if pd.notna(h) else f"columna_{j + 1}"
                  for j, h in enumerate(raw.iloc[header_idx])]
        body = raw.iloc[header_idx + 1:].reset_index(drop=True)
        body.columns = _dedupe(header)
        notes = [f"hoja '{sheet}'"] + ([f"encabezados en la fila {header_idx + 1}"] if header_idx else [])
        return RawTable(_stringify(body), encoding="xlsx", sheet=str(sheet), notes=notes)
    raise IngestError(f"{name}: el libro de Excel no tiene datos en ninguna hoja.", "empty_file")


def _dedupe(cols: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for c in cols:
        n = seen.get(c, 0)
        out.append(c if n == 0 else f"{c}.{n}")
        seen[c] = n + 1
    return out


def _stringify(df: pd.DataFrame) -> pd.DataFrame:
    """Cells as text, except real datetimes (kept for date parsing). Whole-number floats lose '.0'."""
    out = {}
    for c in df.columns:
        s = df[c]
        if pd.api.types.is_datetime64_any_dtype(s):
            out[str(c)] = s
            continue
        if s.dtype == object and s.map(lambda v: hasattr(v, "year") and hasattr(v, "month")).any():
            conv = pd.to_datetime(s, errors="coerce")
            if conv.notna().sum() >= s.notna().sum() * 0.9:
                out[str(c)] = conv
                continue
        if pd.api.types.is_float_dtype(s):
            txt = s.map(lambda v: "" if pd.isna(v) else (str(int(v)) if float(v).is_integer() else repr(v)))
        else:
            txt = s.map(lambda v: "" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v))
        out[str(c)] = txt
    return pd.DataFrame(out)
