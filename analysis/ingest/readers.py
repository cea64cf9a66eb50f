"""Read an uploaded file (CSV, TSV, XLSX, JSON, JSONL, Parquet) into a DataFrame of raw cells.

Everything is read as text (dates from Excel stay datetimes) so that parsing decisions are made once,
in analysis.ingest.parsing, and reported. Problems with the file as a whole raise IngestError with a message
that names the file and says what to do.

Every row is accounted for: each reader counts the file's records a second, independent way (physical
lines, JSONL lines, the Parquet footer, the sheet's rows) and a record the main parser did not return
becomes a `bad_lines` entry (rejected as `malformed_line` with its line number), or the file is refused.
Limits (settings): file size (SABOR_MAX_UPLOAD_MB), rows (SABOR_MAX_ROWS) and the decompressed size of
XLSX and Parquet files (SABOR_MAX_UNZIPPED_MB), so that a small compressed file cannot expand without
bound.
"""
from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.ingest.limits import (  # noqa: F401 -- re-exported: callers import them from here
    IngestError,
    check_rows,
    check_size,
    check_unzipped,
    max_rows,
    max_unzipped_bytes,
    max_upload_bytes,
)

SUPPORTED = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".json", ".jsonl", ".ndjson", ".parquet")


@dataclass
class RawTable:
    df: pd.DataFrame
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    notes: list[str] = field(default_factory=list)
    bad_lines: list[tuple[int, str]] = field(default_factory=list)  # (line number, raw line) unparseable
    # Where each row of `df` starts in the file (line of a text file, row of the sheet, record number of a
    # JSON array or Parquet file); None: row i is line i + 2 (a header line, then one line per row).
    source_rows: list[int] | None = None


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
    try:
        raw = _read_any(data, name, ext)
    except IngestError:
        raise
    except (RecursionError, MemoryError) as e:
        raise IngestError(f"{name}: el archivo está anidado o es demasiado grande para leerlo "
                          f"({type(e).__name__}).", "corrupt_file") from None
    except Exception as e:  # noqa: BLE001 -- a damaged file must be refused with a message, never a traceback
        raise IngestError(f"{name}: no se pudo leer el archivo ({type(e).__name__}); ¿está dañado o "
                          f"incompleto? Expórtelo de nuevo.", "corrupt_file") from None
    check_rows(len(raw.df) + len(raw.bad_lines), name)
    return raw


def _read_any(data: bytes, name: str, ext: str) -> RawTable:
    # Trust the bytes over the name: a spreadsheet saved as .csv still reads as a spreadsheet.
    if data[:4] == b"PK\x03\x04":
        raw = _read_excel(data, name)
        if ext not in (".xlsx", ".xlsm"):
            raw.notes.append(f"el archivo se llama {ext} pero es un libro de Excel; se leyó como Excel")
        return raw
    if data[:4] == b"PAR1":
        return _read_parquet(data, name)
    if ext in (".xlsx", ".xlsm"):
        raise IngestError(f"{name}: no es un libro de Excel válido (¿archivo dañado o renombrado?).",
                          "corrupt_file")
    if ext == ".parquet":
        raise IngestError(f"{name}: no es un archivo Parquet válido.", "corrupt_file")
    # A byte-order mark says the encoding (Excel's "Unicode text" is UTF-16 with a BOM): such a file is
    # text, though its bytes hold zeros.
    if _bom(data) is None and _looks_binary(data):
        raise IngestError(f"{name}: contiene datos binarios, no texto. ¿Es una imagen, un PDF o un archivo "
                          f"comprimido renombrado? Exporte los datos como CSV, XLSX o JSON.", "binary_file")
    try:
        text, encoding, notes = decode_text(data)
    except UnicodeDecodeError as e:
        raise IngestError(f"{name}: el archivo dice ser {e.encoding.upper()} pero tiene bytes no válidos en "
                          f"la posición {e.start}. Expórtelo de nuevo como UTF-8.", "bad_encoding") from None
    if ext in (".json", ".jsonl", ".ndjson"):
        raw = _read_json(text, name, ext)
    else:
        # UTF-8 files: the original bytes go to Arrow as they are (no second encoding of the whole text).
        utf8 = data[3:] if encoding == "utf-8-sig" else data if encoding == "utf-8" else None
        raw = _read_delimited(text, name, ext, utf8)
    raw.encoding = encoding
    raw.notes[:0] = notes
    return raw


def _looks_binary(data: bytes) -> bool:
    head = data[:8192]
    if b"\x00" in head:
        return True
    control = sum(1 for b in head if b < 32 and b not in (9, 10, 13))
    return control > len(head) * 0.05


_BOMS = ((b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe\x00\x00", "utf-32-le"),
         (b"\xef\xbb\xbf", "utf-8-sig"), (b"\xfe\xff", "utf-16-be"), (b"\xff\xfe", "utf-16-le"))


def _bom(data: bytes) -> str | None:
    """The encoding a byte-order mark announces (UTF-32 is tested before UTF-16, whose BOM it starts
    with)."""
    for mark, enc in _BOMS:
        if data.startswith(mark):
            return enc
    return None


def decode_text(data: bytes) -> tuple[str, str, list[str]]:
    """UTF-16/32 by their byte-order mark; UTF-8 (with or without BOM) next; else per line, so that one
    Excel-on-Windows line in a UTF-8 file neither turns the whole file into mojibake nor gets dropped.
    Raises UnicodeDecodeError when a BOM announces UTF-16/32 and the bytes are not."""
    enc = _bom(data)
    if enc and enc.startswith(("utf-16", "utf-32")):
        mark = next(m for m, e in _BOMS if e == enc)
        return data[len(mark):].decode(enc), enc, []
    if enc == "utf-8-sig":
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


def _read_arrow(text: str, delim: str, utf8: bytes | None = None) -> pd.DataFrame | None:
    """Arrow's multithreaded CSV reader (several times faster than pandas on large files). Returns None
    when the file needs the careful path: repeated headers or any row Arrow cannot parse."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    header = next(csv.reader(io.StringIO(text.split("\n", 1)[0]), delimiter=delim), [])
    if not header or len(set(header)) != len(header):
        return None
    try:
        tbl = pacsv.read_csv(
            io.BytesIO(utf8 if utf8 is not None else text.encode("utf-8")),
            read_options=pacsv.ReadOptions(use_threads=True, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=delim, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(column_types={h: pa.string() for h in header},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    return tbl.to_pandas(types_mapper=lambda t: pd.StringDtype("pyarrow") if pa.types.is_string(t) else None)


def _line_count(text: str | bytes) -> int:
    """Physical lines up to the last non-empty one (\n, \r\n and a lone \r each end a line). Counting the
    UTF-8 bytes gives the same answer as the text, several times faster."""
    if isinstance(text, bytes):
        body = text.rstrip(b"\r\n")
        return body.count(b"\n") + body.count(b"\r") - body.count(b"\r\n") + 1 if body else 0
    body = text.rstrip("\r\n")
    if not body:
        return 0
    return body.count("\n") + body.count("\r") - body.count("\r\n") + 1


def _read_delimited(text: str, name: str, ext: str, utf8: bytes | None = None) -> RawTable:
    delim = _sniff_delimiter(text, ext)
    df = _read_arrow(text, delim, utf8) if len(text) > 5_000_000 else None
    if df is None:
        kw = dict(sep=delim, dtype=str, keep_default_na=False, na_filter=False, skip_blank_lines=True)
        try:
            df = pd.read_csv(io.StringIO(text), engine="c", on_bad_lines="error", **kw)
        except pd.errors.EmptyDataError:
            raise IngestError(f"{name}: el archivo no tiene filas ni encabezados.", "empty_file") from None
        except pd.errors.ParserError:
            df = None  # a malformed line: the careful reader below keeps it, with its line number
        if df is not None and not isinstance(df.index, pd.RangeIndex):
            # pandas quirk: when the first data row has one field more than the header, it silently makes
            # the first column the index (and shifts every value), raising nothing. The careful reader
            # decides instead: a wider record is a malformed line (or, in a one-column file, one comment).
            df = None
    # The independent count: when the file has exactly one physical line per row (and the header), no row
    # can be missing. Otherwise (quoted values over several lines, blank lines, a malformed line, a quote
    # left open) the careful reader accounts for every line.
    if df is not None and len(df) + 1 == _line_count(text if utf8 is None else utf8):
        df.columns = [str(c).replace("\ufeff", "").strip() for c in df.columns]
        return RawTable(df, delimiter=delim)
    return _read_records(text, delim, name, df)


def _read_records(text: str, delim: str, name: str, parsed: pd.DataFrame | None = None) -> RawTable:
    """Python's csv module (the quoting rules pandas follows) over the file's physical lines, keeping where
    each record starts and ends: a record with more fields than the header is a malformed line, one with
    fewer is padded (as pandas does), and a quote that is still open at the end of the file makes that
    line and every line after it malformed (they were swallowed into one value, and cannot be told apart
    from a comment that really spans them).

    With `parsed` (pandas' frame of the same text), only where the records start is kept: if both readers
    agree record for record, pandas' frame is returned with those positions; else the frame is built here.
    """
    csv.field_size_limit(max(csv.field_size_limit(), max_upload_bytes()))
    lines = io.StringIO(text, newline="").readlines()
    reader = csv.reader(lines, delimiter=delim)
    # (first line, last line, number of fields, fields: kept for the header, for records wider than it
    # and, when there is no pandas frame to keep, for all)
    records: list[tuple[int, int, int, list[str] | None]] = []
    prev, width = 0, None
    try:
        for rec in reader:
            end = reader.line_num
            if rec and not (len(rec) == 1 and not rec[0].strip()):
                keep = parsed is None or width is None or len(rec) > width
                records.append((prev + 1, end, len(rec), rec if keep else None))
                width = len(rec) if width is None else width
            prev = end
    except csv.Error as e:
        raise IngestError(f"{name}: no se pudo leer la línea {prev + 1} ({e}).", "corrupt_file") from None
    if not records:
        raise IngestError(f"{name}: el archivo no tiene filas ni encabezados.", "empty_file")

    def raw_of(first: int, last: int) -> str:
        return "".join(lines[first - 1:last]).rstrip("\r\n")

    notes: list[str] = []
    bad: list[tuple[int, str]] = []
    open_from = None
    first, last = records[-1][:2]
    try:  # the last record alone, strictly: does the file end inside a quoted value?
        list(csv.reader([raw_of(first, last)], delimiter=delim, strict=True))
    except csv.Error as e:
        if "unexpected end of data" in str(e):
            open_from = first
    if open_from is not None:
        if len(records) == 1:
            raise IngestError(f"{name}: la línea 1 abre una comilla que nunca se cierra; corrija el "
                              f"encabezado.", "corrupt_file")
        records.pop()
        swallowed = [(i + 1, lines[i].rstrip("\r\n")) for i in range(open_from - 1, len(lines))
                     if lines[i].strip()]
        bad.extend(swallowed)
        notes.append(f"comilla sin cerrar en la línea {open_from}: esa línea y las {len(swallowed) - 1:,} "
                     f"siguientes se rechazaron (línea mal formada); cierre la comilla y cargue el archivo "
                     f"otra vez (las filas ya cargadas contarán como duplicadas)")
    header = [h.replace("\ufeff", "").strip() for h in records[0][3]]
    header = _dedupe([h or f"Unnamed: {i}" for i, h in enumerate(header)])
    width = len(header)
    tight = _tight_columns(lines, records[1:], width, delim) if any(r[1] - r[0] >= 2 for r in records[1:]) \
        else set()
    swallowed_at = {r[0] for r in records[1:]
                    if r[1] - r[0] >= 2 and _swallows_rows(lines, r[0], r[1], width, delim, tight)}
    if parsed is not None:
        if (open_from is None and not swallowed_at and len(parsed) == len(records) - 1
                and all(n <= width for _, _, n, _ in records)):
            # Both readers agree record for record (values over several lines, blank lines): keep pandas'
            # frame, with where each row starts.
            parsed.columns = [str(c).replace("\ufeff", "").strip() for c in parsed.columns]
            return RawTable(parsed, delimiter=delim, source_rows=[r[0] for r in records[1:]])
        return _read_records(text, delim, name)
    rows, starts, joined = [], [], 0
    for first, last, n, rec in records[1:]:
        if first in swallowed_at:
            bad.extend((i + 1, lines[i].rstrip("\r\n")) for i in range(first - 1, last) if lines[i].strip())
            notes.append(f"comilla sin cerrar en la línea {first}: las líneas {first} a {last} parecen filas "
                         f"leídas como un solo valor; se rechazaron (línea mal formada)")
            continue
        if n > width and width == 1 and '"' not in raw_of(first, last):
            # A one-column file (a header such as "comentario" and one comment per line): a comma in a
            # comment is part of it, not a second column. The line is read whole.
            rows.append([raw_of(first, last).strip()])
            starts.append(first)
            joined += 1
            continue
        if n > width:
            bad.append((first, raw_of(first, last)))
            continue
        rows.append(rec + [""] * (width - n))
        starts.append(first)
    if joined:
        notes.append(f"archivo de una sola columna: {joined:,} líneas con '{delim}' se leyeron enteras, "
                     f"como un comentario cada una")
    bad.sort()
    df = pd.DataFrame(rows, columns=header, dtype=object) if rows else pd.DataFrame(columns=header)
    return RawTable(df, delimiter=delim, bad_lines=bad, source_rows=starts, notes=notes)


def _tight_columns(lines: list[str], records: list, width: int, delim: str, sample: int = 500) -> set[int]:
    """Columns whose values in the file's one-line rows almost never hold a space (dates, ratings, ids,
    codes): a line that only looks like a row has free text there. Read from a sample of those rows."""
    starts = [first for first, last, n, _ in records if first == last and n == width][:sample]
    single = [f for f in csv.reader((lines[i - 1] for i in starts), delimiter=delim) if len(f) == width]
    if len(single) < 5:
        return set()
    return {j for j in range(width)
            if sum(1 for rec in single if " " not in rec[j].strip()) >= 0.9 * len(single)}


def _swallows_rows(lines: list[str], first: int, last: int, width: int, delim: str,
                   tight: set[int] | None = None) -> bool:
    """A value over several lines whose inner lines read, each alone, as whole rows of the file (as many
    fields as the header, no quote, and no space where the file's rows never have one): a stray quote
    opened it and a later quote closed it, swallowing the rows between. A comment that really spans lines,
    with commas, splits into fragments with spaces in them; with fewer than three columns the test would
    catch real comments, so it is not made."""
    inner = lines[first:last - 1]
    if width < 3 or len(inner) < 2:
        return False

    def rowlike(ln: str) -> bool:
        if '"' in ln:
            return False
        fields = next(csv.reader([ln], delimiter=delim), [])
        return len(fields) == width and all(" " not in fields[j].strip() for j in (tight or ()))

    n = sum(1 for ln in inner if rowlike(ln))
    return n >= 2 and n >= 0.5 * len(inner)


def _read_json(text: str, name: str, ext: str) -> RawTable:
    stripped = text.lstrip()
    if ext in (".jsonl", ".ndjson") or (stripped.startswith("{") and "\n{" in stripped):
        return _read_jsonl(text, name)
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        raise IngestError(f"{name}: JSON inválido en la línea {e.lineno}, columna {e.colno}: {e.msg}.",
                          "invalid_json") from None
    except RecursionError:
        raise IngestError(f"{name}: el JSON está anidado a demasiada profundidad; se espera una lista de "
                          f"registros [{{...}}, ...].", "invalid_json") from None
    items = _records_in(obj)
    if not items:
        raise IngestError(f"{name}: no se encontró una lista de registros en el JSON "
                          f"(se espera [{{...}}, ...] o una línea JSON por registro).", "invalid_json")
    # An item that is not an object is a rejected record (its position, 1-based), never a silent drop.
    records = [r for r in items if isinstance(r, dict)]
    starts = [i + 1 for i, r in enumerate(items) if isinstance(r, dict)]
    bad = [(i + 1, _json_text(r)) for i, r in enumerate(items) if not isinstance(r, dict)]
    if not records:
        raise IngestError(f"{name}: la lista del JSON no tiene registros {{...}}.", "invalid_json")
    return RawTable(_flatten(records), bad_lines=bad, source_rows=starts)


def _read_jsonl(text: str, name: str) -> RawTable:
    """One JSON object per line: a line that is not one is rejected with its own line number; the others
    load."""
    records, starts, bad = [], [], []
    for i, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            rec = None
        if isinstance(rec, dict):
            records.append(rec)
            starts.append(i)
        else:
            bad.append((i, line.rstrip("\r")))
    if not records:
        raise IngestError(f"{name}: ninguna línea es un objeto JSON (se espera una línea {{...}} por "
                          f"registro).", "invalid_json")
    notes = [f"{len(bad):,} líneas no son un objeto JSON: rechazadas (línea mal formada)"] if bad else []
    return RawTable(_flatten(records), bad_lines=bad, source_rows=starts, notes=notes)


def _json_text(v) -> str:
    return json.dumps(v, ensure_ascii=False)[:10_000]


def _flatten(records: list[dict]) -> pd.DataFrame:
    """Nested objects become dotted columns ("review.text") a few levels deep; anything deeper, and lists,
    stay one cell of JSON text."""
    df = pd.json_normalize(records, max_level=4)
    for c in df.columns:
        if df[c].dtype == object and df[c].map(lambda v: isinstance(v, (dict, list))).any():
            df[c] = df[c].map(lambda v: _json_text(v) if isinstance(v, (dict, list)) else v)
    return _stringify(df)


def _records_in(obj) -> list:
    if isinstance(obj, list):
        return obj
    if isinstance(obj, dict):
        for v in obj.values():  # {"data": [...]} / {"reviews": [...]}
            if isinstance(v, list) and v and isinstance(v[0], dict):
                return v
    return []


def _read_parquet(data: bytes, name: str) -> RawTable:
    """The footer says how many rows and how many bytes the file holds once decompressed: checked before
    anything is decompressed, and the rows read must match it. Repeated column names are renamed
    ("texto", "texto.1") as in the other formats."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(io.BytesIO(data))
        meta = pf.metadata
        check_rows(meta.num_rows, name)
        check_unzipped(sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups)), name,
                        "el Parquet")
        table = pf.read()
    except (pa.ArrowException, OSError, ValueError) as e:
        raise IngestError(f"{name}: el archivo Parquet está dañado o incompleto ({type(e).__name__}); "
                          f"expórtelo de nuevo.", "corrupt_file") from None
    if table.num_rows != meta.num_rows:
        raise IngestError(f"{name}: el Parquet declara {meta.num_rows:,} filas y se leyeron "
                          f"{table.num_rows:,}; expórtelo de nuevo.", "corrupt_file")
    names = _dedupe([str(n) for n in table.column_names])
    notes = []
    if names != list(table.column_names):
        notes.append("columnas con el mismo nombre: renombradas " + ", ".join(
            f"'{n}'" for n, o in zip(names, table.column_names) if n != o))
    df = table.rename_columns(names).to_pandas()
    return RawTable(_stringify(df), notes=notes, source_rows=list(range(1, len(df) + 1)))


def _read_excel(data: bytes, name: str) -> RawTable:
    """The first sheet with data, streamed by openpyxl (read-only). The archive's declared sizes are
    checked first: zipfile never inflates a member past its declared size, so a small file that would
    expand to gigabytes (a decompression bomb) is refused before anything is inflated; the row limit is
    checked while streaming."""
    import openpyxl

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            check_unzipped(sum(i.file_size for i in zf.infolist()), name, "el libro de Excel")
    except zipfile.BadZipFile:
        raise IngestError(f"{name}: no es un libro de Excel válido (¿archivo dañado o renombrado?).",
                          "corrupt_file") from None
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # noqa: BLE001 -- openpyxl raises many types for damaged files
        raise IngestError(f"{name}: no se pudo abrir como Excel ({type(e).__name__}). ¿Está protegido "
                          f"con contraseña o dañado? Guárdelo de nuevo como .xlsx o CSV.",
                          "corrupt_file") from None
    try:
        found, others = None, []
        for ws in wb.worksheets:
            if found is not None:
                if _sheet_has_data(ws):
                    others.append(ws.title)
                continue
            rows = _sheet_rows(ws, name)
            if rows:
                found = (ws.title, rows)
    finally:
        wb.close()
    if found is None:
        raise IngestError(f"{name}: el libro de Excel no tiene datos en ninguna hoja.", "empty_file")
    sheet, rows = found
    # The header is the first row with at least two filled cells (exports often put a title and a blank
    # row above the table).
    header_at = next((k for k, (_, vals) in enumerate(rows) if sum(v is not None for v in vals) >= 2), 0)
    width = max(len(vals) for _, vals in rows)
    used = [j for j in range(width) if any(j < len(v) and v[j] is not None for _, v in rows)]
    head_vals = rows[header_at][1]
    header = [str(head_vals[j]).strip() if j < len(head_vals) and head_vals[j] is not None
              else f"columna_{k + 1}" for k, j in enumerate(used)]
    body = [[vals[j] if j < len(vals) else None for j in used] for _, vals in rows[header_at + 1:]]
    df = pd.DataFrame(body, columns=_dedupe(header), dtype=object)
    notes = [f"hoja '{sheet}'"] + ([f"encabezados en la fila {rows[header_at][0]}"]
                                   if rows[header_at][0] > 1 else [])
    if others:
        notes.append(f"otras hojas con datos no se cargaron: {', '.join(others)} (cárguelas por separado)")
    return RawTable(_stringify(df), encoding="xlsx", sheet=str(sheet), notes=notes,
                    source_rows=[r for r, _ in rows[header_at + 1:]])


def _sheet_has_data(ws) -> bool:
    ws.reset_dimensions()
    return any(any(v is not None for v in vals) for vals in ws.iter_rows(values_only=True))


def _sheet_rows(ws, name: str) -> list[tuple[int, tuple]]:
    """(sheet row number, values) of every row with a filled cell, at most SABOR_MAX_ROWS of them."""
    ws.reset_dimensions()  # a wrong stored dimension must not cut rows off
    limit, out = max_rows(), []
    for i, vals in enumerate(ws.iter_rows(values_only=True), start=1):
        vals = tuple(_cell(v) for v in vals)
        if any(v is not None for v in vals):
            out.append((i, vals))
            if len(out) > limit + 1:  # + the header
                check_rows(len(out) - 1, name)
    return out


def _cell(v):
    if isinstance(v, str) and not v.strip():
        return None
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


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
