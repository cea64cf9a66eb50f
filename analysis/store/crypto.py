"""Encryption at rest: DuckDB's encrypted database files (AES-GCM, `ATTACH ... (ENCRYPTION_KEY ...)`).

The key comes from the environment: `SABOR_DB_KEY`, or `SABOR_DB_KEY_FILE` naming a file that holds it
(a Kubernetes Secret mounted as a volume). Without a key the database is a plain file, as before.

An encrypted file can only be attached, not opened directly, so the Store then opens an in-memory DuckDB,
attaches the file under the catalog `sabor`, makes it the default (`USE sabor`) on every cursor, and only
then disables external access (`enable_external_access=false`), exactly the state a plain Store is in: no
SQL can read or write another file, attach one, or load an extension.

DuckDB writes encrypted files with OpenSSL, which it loads from its `httpfs` extension. Where no httpfs
build for the installed DuckDB exists (offline machines; DuckDB 2.0.1 here has none on PyPI), DuckDB
refuses to write with its built-in mbedtls and calls that mode "not securely encrypted" (its random numbers
for nonces are not from a cryptographic source). Sabor follows it: without httpfs, writing needs the
explicit opt-in `SABOR_DB_ALLOW_MBEDTLS=1`, and the choice is logged at every open.

`convert(path, key)` turns a plain file into an encrypted one (and `convert(path, None, old_key=key)` back),
through `COPY FROM DATABASE` into a new file that then replaces the old one.
"""
from __future__ import annotations

import os
from pathlib import Path

import duckdb

from analysis.ops.logs import get_logger

CATALOG = "sabor"
log = get_logger("sabor.store")


class EncryptionError(ValueError):
    """The key does not open the file, or the file needs a key (one clear line for the CLI and the app)."""


def encryption_key() -> str | None:
    key = os.environ.get("SABOR_DB_KEY")
    if key:
        return key
    f = os.environ.get("SABOR_DB_KEY_FILE")
    if f:
        try:
            key = Path(f).read_text(encoding="utf-8").strip()
        except OSError as e:
            raise EncryptionError(f"no se pudo leer la clave de cifrado en {f}: {e.strerror or e}") from None
        if not key:
            raise EncryptionError(f"el archivo de clave {f} está vacío")
        return key
    return None


def _quote(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _crypto_ready(con: duckdb.DuckDBPyConnection) -> str:
    """'openssl' when httpfs loads; else 'mbedtls' if the operator opted in; else EncryptionError."""
    try:
        con.execute("LOAD httpfs")
        return "openssl"
    except duckdb.Error:
        pass
    if os.environ.get("SABOR_DB_ALLOW_MBEDTLS") == "1":
        con.execute("SET force_mbedtls_unsafe = 'true'")
        return "mbedtls"
    raise EncryptionError("DuckDB no tiene aquí su módulo criptográfico seguro (la extensión httpfs con "
                          "OpenSSL "
                    "no está instalada): instálela (INSTALL httpfs) o, sabiendo que DuckDB considera menos "
                    "segura su alternativa integrada (mbedtls), defina SABOR_DB_ALLOW_MBEDTLS=1")


def is_encrypted(path: Path) -> bool | None:
    """Whether the file is an encrypted DuckDB database (None when there is no file). DuckDB 1.4+ marks
    encrypted files in the main header's flags; we ask DuckDB rather than parse it: a plain open of an
    encrypted file fails with a message naming the encryption."""
    if not Path(path).exists():
        return None
    try:
        con = duckdb.connect(str(path), read_only=True, config={"enable_external_access": False})
    except duckdb.Error as e:
        text = str(e).lower()
        if "encrypt" in text:
            return True
        raise
    con.close()
    return False


def connect(path: Path, key: str | None):
    """(connection, catalog or None) with external access disabled."""
    if key is None:
        try:
            return duckdb.connect(str(path), config={"enable_external_access": False}), None
        except duckdb.Error as e:
            if "encrypt" in str(e).lower() and "lock" not in str(e).lower():
                raise EncryptionError(f"{path} está cifrada: defina SABOR_DB_KEY (o SABOR_DB_KEY_FILE) "
                                      "con su "
                                "clave") from None
            raise
    con = duckdb.connect(":memory:")
    try:
        mode = _crypto_ready(con)
        try:
            con.execute(f"ATTACH {_quote(str(path))} AS {CATALOG} (ENCRYPTION_KEY {_quote(key)})")
        except duckdb.Error as e:
            text = str(e).lower()
            if "lock" in text:
                raise
            if "encrypt" in text or "key" in text or "checksum" in text or "decrypt" in text:
                if is_encrypted(path) is False:
                    raise EncryptionError(f"{path} no está cifrada: conviértala con `sabor db encrypt` "
                                          "o quite "
                                    "SABOR_DB_KEY") from None
                raise EncryptionError(f"la clave de cifrado no abre {path} "
                                      "(¿SABOR_DB_KEY equivocada?)") from None
            raise
        con.execute(f"USE {CATALOG}")
        con.execute("SET enable_external_access = false")
    except BaseException:
        con.close()
        raise
    log.info("database_encrypted", extra={"crypto": mode})
    return con, CATALOG


def convert(path: Path, key: str | None, old_key: str | None = None) -> dict:
    """Rewrite `path` encrypted with `key` (or plain, with key None) from its current state (`old_key`
    opens it when it is encrypted). The new file replaces the old only when the copy is complete; the old
    one's bytes are then gone with it. Returns {"path", "encrypted", "tables", "bytes_before", "bytes_after"}.
    The database must not be open elsewhere (DuckDB's lock tells)."""
    path = Path(path)
    if not path.exists():
        raise EncryptionError(f"{path}: no existe")
    if key is not None and key == old_key:
        raise EncryptionError("la clave nueva es igual a la actual")
    tmp = path.with_name(path.name + ".converting")
    for f in (tmp, Path(str(tmp) + ".wal")):
        f.unlink(missing_ok=True)
    con = duckdb.connect(":memory:")
    try:
        if key is not None or old_key is not None:
            _crypto_ready(con)
        src_opt = f" (ENCRYPTION_KEY {_quote(old_key)}, READ_ONLY)" if old_key else " (READ_ONLY)"
        try:
            con.execute(f"ATTACH {_quote(str(path))} AS src{src_opt}")
        except duckdb.Error as e:
            text = str(e).lower()
            if "lock" in text:
                raise
            if "encrypt" in text or "key" in text or "decrypt" in text:
                raise EncryptionError(f"{path}: la clave actual no la abre (o está cifrada y falta "
                                "--from-key-env)") from None
            raise
        dst_opt = f" (ENCRYPTION_KEY {_quote(key)})" if key else ""
        con.execute(f"ATTACH {_quote(str(tmp))} AS dst{dst_opt}")
        con.execute("COPY FROM DATABASE src TO dst")
        tables = con.execute("SELECT count(*) FROM duckdb_tables() "
                             "WHERE database_name = 'dst'").fetchall()[0][0]
        con.execute("DETACH dst")
        con.execute("DETACH src")
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    before = path.stat().st_size
    Path(str(path) + ".wal").unlink(missing_ok=True)
    os.replace(tmp, path)
    return {"path": str(path), "encrypted": key is not None, "tables": int(tables), "bytes_before": before,
            "bytes_after": path.stat().st_size}
