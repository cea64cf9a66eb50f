"""`sabor user`, `sabor erase`, `sabor audit` and `sabor db`: people, erasure, the audit trail, encryption.

Registered by `analysis.cli.build_parser`. The writes hand themselves to the running app when it holds the
database (analysis.ops.handover), like `sabor ingest`; `sabor db encrypt|decrypt` needs the app stopped
(it rewrites the file).
"""
from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path

from analysis import cli_common as cli
from analysis.access import ROLES
from analysis.cli_common import BadInput


def _password(args, confirm: bool = True) -> str:
    """From stdin (`--password-stdin`, one line: for scripts and Kubernetes Jobs) or typed twice."""
    if args.password_stdin:
        pw = sys.stdin.readline().rstrip("\r\n")
        if not pw:
            raise BadInput("--password-stdin: no llegó ninguna contraseña por la entrada estándar")
        return pw
    if not sys.stdin.isatty():
        raise BadInput("sin terminal para escribir la contraseña: use --password-stdin")
    pw = getpass.getpass("Contraseña: ")
    if confirm and getpass.getpass("Repítala: ") != pw:
        raise BadInput("las contraseñas no coinciden")
    return pw


def cmd_user(args) -> int:
    from analysis.ops.handover import HandoverError
    from analysis.store.users import add_user, list_users, remove_user, set_password

    store, app = cli._store_or_app(args)
    actor = cli._cli_actor()
    sub = args.user_command
    pw = _password(args) if sub in ("add", "passwd") else None
    try:
        if sub == "add":
            if app is not None:
                app.post_json("/api/v1/users", {"username": args.name, "role": args.role, "password": pw})
            else:
                add_user(store, args.name, args.role, pw, actor=actor)
            print(f"usuario {args.name!r} ({args.role}) creado")
        elif sub == "passwd":
            if app is not None:
                app.put_json(f"/api/v1/users/{args.name}", {"password": pw, "role": args.role})
            else:
                set_password(store, args.name, pw, actor=actor, role=args.role)
            print(f"contraseña de {args.name!r} cambiada" + (f"; rol {args.role}" if args.role else ""))
        elif sub == "remove":
            if app is not None:
                app.delete(f"/api/v1/users/{args.name}")
            elif not remove_user(store, args.name, actor=actor):
                raise BadInput(f"no hay un usuario activo llamado {args.name!r}")
            print(f"usuario {args.name!r} eliminado")
        else:
            if app is not None:
                import pandas as pd

                df = pd.DataFrame(app.get("/api/v1/users")["items"])
            else:
                df = list_users(store, include_removed=args.all)
            if args.format == "json":
                from analysis.exports import plain

                print(json.dumps(plain(df), ensure_ascii=False, indent=2))
            elif df.empty:
                print("Sin usuarios: cree uno con `sabor user add NOMBRE --role admin`.")
            else:
                print(df.to_string(index=False))
    except ValueError as e:
        raise BadInput(str(e)) from None
    except HandoverError as e:
        raise BadInput(str(e)) from None
    return 0


def cmd_erase(args) -> int:
    from analysis.ops.handover import HandoverError
    from analysis.store.erasure import EraseError, erase, find

    crit = {"match": args.match, "feedback_id": args.feedback_id, "source_id": args.source_id}
    store, app = cli._store_or_app(args)
    try:
        if args.dry_run:
            if app is not None:
                raise BadInput("--dry-run necesita la base libre (la app la tiene): detenga la app o "
                                   "ejecute sin --dry-run")
            result = find(store, **crit) | {"dry_run": True}
        elif app is not None:
            result = app.post_json("/api/v1/erase", crit) | {"handed_over": True}
        else:
            result = erase(store, **crit, actor=cli._cli_actor())
    except (EraseError, HandoverError) as e:
        raise BadInput(str(e)) from None
    if args.format == "json":
        print(json.dumps(result, ensure_ascii=False, default=str))
    else:
        verb = "se borrarían" if args.dry_run else "borrados"
        derived = ", ".join(f"{t} {n:,}" for t, n in result["derived_rows"].items() if n) or "ninguna"
        print(f"{result['comments']:,} comentarios {verb}; filas derivadas: {derived}")
        if not args.dry_run:
            print(f"embeddings {result['embeddings']:,}, filas rechazadas {result['rejected_rows']:,}, "
                  f"alertas depuradas {result['alerts_scrubbed']:,}, "
                  f"entradas de auditoría depuradas {result['audit_entries_scrubbed']:,}; "
                  "registrado en la auditoría sin el texto")
    return 0


def cmd_audit(args) -> int:
    """The audit trail, newest first: a table, JSON, or CSV (spreadsheet formulas neutralised)."""
    from analysis.exports import plain, safe_csv_bytes
    from analysis.store import audit_entries

    df = audit_entries(cli._store(args), limit=args.limit, action=args.action)
    if args.format == "csv":
        data = safe_csv_bytes(df)
        if args.output:
            Path(args.output).write_bytes(data)
            print(args.output)
        else:
            sys.stdout.buffer.write(data)
    elif args.format == "json":
        items = [{**r, "detail": json.loads(r["detail"]) if r["detail"] else None} for r in plain(df)]
        print(json.dumps(items, ensure_ascii=False, indent=2, default=str))
    elif df.empty:
        print("La auditoría está vacía.")
    else:
        print(df.to_string(index=False, max_colwidth=80))
    return 0


def cmd_db(args) -> int:
    """`sabor db status|encrypt|decrypt`: the key comes from SABOR_DB_KEY / SABOR_DB_KEY_FILE (the key the
    app will use); `--from-key-env VAR` names the variable holding the current key when re-keying or
    decrypting."""
    from analysis.store.crypto import EncryptionError, convert, encryption_key, is_encrypted

    path = cli._db_path(args)
    try:
        if args.db_command == "status":
            enc = is_encrypted(path)
            print(json.dumps({"path": str(path), "exists": enc is not None, "encrypted": bool(enc),
                              "key_configured": bool(encryption_key())}))
            return 0
        old = os.environ.get(args.from_key_env) if args.from_key_env else None
        if args.from_key_env and not old:
            raise BadInput(f"la variable {args.from_key_env} está vacía")
        if args.db_command == "encrypt":
            key = encryption_key()
            if not key:
                raise BadInput("defina SABOR_DB_KEY (o SABOR_DB_KEY_FILE) con la clave nueva")
            if old is None and is_encrypted(path):
                raise BadInput(f"{path} ya está cifrada: para cambiar la clave use --from-key-env VAR "
                                   "con la clave actual")
            out = convert(path, key, old_key=old)
        else:
            if old is None:
                old = encryption_key()
            if not old:
                raise BadInput("defina SABOR_DB_KEY con la clave actual (o --from-key-env VAR)")
            if not is_encrypted(path):
                raise BadInput(f"{path} no está cifrada")
            out = convert(path, None, old_key=old)
    except EncryptionError as e:
        raise BadInput(str(e)) from None
    print(json.dumps(out))
    return 0


def add_commands(sub, add) -> None:
    sp = add("user", cmd_user, "usuarios del panel (inicio de sesión): add, remove, passwd, list")
    usub = sp.add_subparsers(dest="user_command", required=True)
    for name, help_ in (("add", "crear un usuario con rol"), ("passwd", "cambiar la contraseña (y el rol)"),
                        ("remove", "eliminar un usuario (ya no puede entrar)"), ("list", "listar usuarios")):
        up = usub.add_parser(name, help=help_)
        up.add_argument("--db", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        if name != "list":
            up.add_argument("name")
        if name == "add":
            up.add_argument("--role", required=True, choices=list(ROLES))
        if name == "passwd":
            up.add_argument("--role", choices=list(ROLES), default=None)
        if name in ("add", "passwd"):
            up.add_argument("--password-stdin", action="store_true",
                            help="leer la contraseña de la entrada estándar (una línea)")
        if name == "list":
            up.add_argument("--all", action="store_true", help="incluir los eliminados")
            up.add_argument("--format", choices=["text", "json"], default="text")
    sp = add("erase", cmd_erase, "borrar los comentarios de una persona y todo lo derivado de ellos")
    g = sp.add_mutually_exclusive_group(required=True)
    g.add_argument("--match", help="texto o correo que aparece en sus comentarios (o su id de origen)")
    g.add_argument("--feedback-id", help="id de un comentario en Sabor")
    g.add_argument("--source-id", help="id del comentario en el archivo de origen")
    sp.add_argument("--dry-run", action="store_true", help="solo contar lo que se borraría")
    sp.add_argument("--format", choices=["text", "json"], default="text")
    sp = add("audit", cmd_audit, "la auditoría: quién cargó, preguntó, borró o entrenó qué y cuándo")
    sp.add_argument("--action", help="solo esta acción (p. ej. feedback.upload, ask, erase, user.add)")
    sp.add_argument("--limit", type=int, default=1000)
    sp.add_argument("--format", choices=["table", "json", "csv"], default="table")
    sp.add_argument("--output", help="archivo para --format csv")
    sp = add("db", cmd_db, "cifrado de la base: status, encrypt, decrypt (con la app detenida)")
    dsub = sp.add_subparsers(dest="db_command", required=True)
    for name, help_ in (("status", "¿está cifrada? ¿hay clave?"),
                        ("encrypt", "cifrar (o cambiar la clave) con SABOR_DB_KEY"),
                        ("decrypt", "volver a un archivo sin cifrar")):
        dp = dsub.add_parser(name, help=help_)
        dp.add_argument("--db", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        if name != "status":
            dp.add_argument("--from-key-env", metavar="VAR",
                            help="variable de entorno con la clave actual (para cambiarla o descifrar)")
