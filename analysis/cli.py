"""`sabor` command line. Same functions as the dashboard, so everything the UI does runs headless.

Exit codes: 0 success, 2 bad input (one-line reason on stderr), 1 unexpected failure; `sabor refresh`
also 3 (it ran, but some inbox files or alert deliveries failed: see the JSON), and every command 75 when
the database is locked by another process (DuckDB has one writer; try again later).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from analysis.access import ROLES

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]


EXIT_PARTIAL = 3      # sabor refresh: ran, but a file or a delivery failed
EXIT_LOCKED = 75      # EX_TEMPFAIL: the database is held by another process; a scheduler should retry


# The helpers `sabor user|erase|audit|db` share (analysis/cli_common.py): one BadInput class, also when
# this module runs as __main__.
from analysis.cli_common import (  # noqa: E402
    BadInput,
    _cli_actor,
    _is_locked,
    _lock_holder,
    _store,
    _store_or_app,
)


def _progress_bar(desc: str):
    """Progress(done, total) callbacks on stderr (so JSON output stays clean): a tqdm bar on a terminal,
    else JSON log lines ("progress", at most one every PROGRESS_LOG_S seconds, plus the first and the
    last), as a log collector expects."""
    if not sys.stderr.isatty():
        return _progress_log(desc)
    from tqdm import tqdm

    bar = {"b": None}

    def cb(done: int, total: int) -> None:
        if bar["b"] is None:
            bar["b"] = tqdm(total=total, desc=desc, unit="txt", file=sys.stderr, dynamic_ncols=True)
        bar["b"].n = done
        bar["b"].refresh()
        if done >= total:
            bar["b"].close()

    return cb


PROGRESS_LOG_S = 5.0


def _progress_log(desc: str):
    import time

    from analysis.ops.logs import get_logger

    log = get_logger("sabor.cli")
    last = {"t": float("-inf"), "done": -1}

    def cb(done: int, total: int) -> None:
        now = time.monotonic()
        if done == last["done"]:
            return
        first_batch = last["done"] <= 0 < done
        if done in (0, total) or first_batch or now - last["t"] >= PROGRESS_LOG_S:
            log.info("progress", extra={"task": desc, "done": done, "total": total})
            last.update(t=now, done=done)

    return cb


def cmd_ingest(args) -> int:
    from analysis.ingest import IngestError, ingest_file
    from analysis.ingest.schema import parse_map_args

    try:
        overrides = parse_map_args(args.map)
    except ValueError as e:
        raise BadInput(str(e)) from None
    kind = "market" if args.market else "feedback"
    store, app = _store_or_app(args)
    if app is not None:
        report = _ingest_through_app(app, args, kind)
    else:
        try:
            report = ingest_file(store, args.file, overrides, kind=kind)
        except IngestError as e:
            raise BadInput(str(e)) from None
        from analysis.store import audit, load_detail

        audit(store, _cli_actor(), f"{kind}.upload", load_detail(report))
    if args.format == "json":
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2, default=str))
    else:
        print(report.to_text(args.lang))
    return 0


def _ingest_through_app(app, args, kind: str):
    """`sabor ingest` handed to the running app: the same file through its API; the same report back."""
    from dataclasses import fields

    from analysis.ingest import LoadReport
    from analysis.ops.handover import HandoverError

    path = Path(args.file)
    if not path.is_file():
        raise BadInput(f"{args.file}: el archivo no existe")
    try:
        rep = app.upload(f"/api/v1/{kind}", path, [("map", m) for m in (args.map or [])])
    except HandoverError as e:
        raise BadInput(str(e)) from None
    known = {f.name for f in fields(LoadReport)}
    return LoadReport(**{k: v for k, v in rep.items() if k in known})


def cmd_demo(args) -> int:
    from analysis.demo import load_demo

    store = _store(args)
    reports = load_demo(store)
    from analysis.store import audit, load_detail

    for r in reports:
        if r.upload_id:
            audit(store, _cli_actor(), f"{r.kind}.upload", load_detail(r))
    for r in reports:
        print(r.to_text(args.lang))
        print()
    return 0


def cmd_analyze(args) -> int:
    """SIGTERM/SIGINT stop it between batches: what is scored is committed, DuckDB is closed, exit 0 with
    "stopped": true (analysis.ops.shutdown)."""
    from analysis.ops import shutdown
    from analysis.ops.scoring import analyze

    stop = shutdown.install()
    if args.address and args.engine != "ray":
        raise BadInput("--address solo vale con --engine ray / --address needs --engine ray")
    if args.workers is not None and args.workers < 1:
        raise BadInput("--workers debe ser 1 o más / --workers must be at least 1")
    store, app = _store_or_app(args)
    if app is not None:
        if args.engine == "ray":
            raise BadInput("la app está en marcha y tiene la base: deténgala para puntuar con --engine ray / "
                           "the app holds the database: stop it to score with --engine ray")
        return _analyze_through_app(app, args)
    from analysis.store import audit

    audit(store, _cli_actor(), "analyze.start", {"limit": args.limit, "topics": bool(args.topics)})
    try:
        progress = None if args.quiet else _progress_bar("Analizando")
        if args.engine == "ray":
            from analysis.ops.ray_engine import RayEngineError, analyze_ray

            try:
                result = analyze_ray(store, progress=progress, address=args.address, workers=args.workers,
                                     limit=args.limit, stop=stop)
            except RayEngineError as e:
                raise BadInput(str(e)) from None
        else:
            result = analyze(store, progress=progress, limit=args.limit, stop=stop)
        if args.topics and not stop.is_set():
            from analysis.insight.topics import fit_current

            result["topics"] = fit_current(store, progress=None if args.quiet else _progress_bar("Temas"))
    finally:
        store.close()
    print(json.dumps(result, ensure_ascii=False, default=str))
    return 0


def _analyze_through_app(app, args) -> int:
    """`sabor analyze` handed to the running app: its background scorer (the dashboard's job), followed to
    the end. `--limit` and `--topics` are the app's to decide (it fits topics after scoring by itself)."""
    from analysis.ops.handover import HandoverError

    try:
        started = app.post_json("/api/v1/analyze", {})
        job = app.wait_job(started["job"]["id"], progress=None if args.quiet else _progress_bar("Analizando"))
    except HandoverError as e:
        raise BadInput(str(e)) from None
    if job.get("status") == "failed":
        print(f"sabor: error: el análisis falló en la app: {job.get('error')}", file=sys.stderr)
        return 1
    print(json.dumps({**(job.get("result") or {}), "job_id": job["id"], "handed_over": True},
                     ensure_ascii=False, default=str))
    return 0


def cmd_classify(args) -> int:
    from analysis.ops.scoring import classify_file

    if not Path(args.input).is_file():
        raise BadInput(f"{args.input}: el archivo no existe")
    try:
        result = classify_file(args.input, args.text_column, args.output,
                               progress=_progress_bar("Clasificando"))
    except (KeyError, ValueError) as e:
        raise BadInput(str(e).strip("'\"")) from None
    print(json.dumps(result, ensure_ascii=False, default=str))
    return 0


def _ft_config(args):
    from models.finetune import FinetuneConfig

    return FinetuneConfig(epochs=args.epochs)


def cmd_train(args) -> int:
    from models.train import train

    if not Path(args.input).is_file():
        raise BadInput(f"{args.input}: el archivo no existe")
    try:
        from analysis.ops.logs import get_logger

        log = get_logger("sabor.train")
        report = train(args.input, args.text_column, args.label_column, finetune=args.finetune,
                       ft_config=_ft_config(args) if args.finetune else None,
                       log=lambda m: log.info("train_step", extra={"detail": str(m)}))
    except (KeyError, ValueError) as e:
        raise BadInput(str(e).strip("'\"")) from None
    _audit_training(args, report)
    print(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    return 0


def _audit_training(args, report) -> None:
    """Who trained which model version from which file: in the database's audit trail (the model lives in
    models/registry, not in the database, so a database held by the app is waited for, then skipped with
    a log line rather than failing a finished training)."""
    import hashlib

    from analysis.ops.logs import get_logger
    from analysis.store import audit

    detail = {"input": Path(args.input).name,
              "sha256": hashlib.sha256(Path(args.input).read_bytes()).hexdigest(),
              "finetune": bool(args.finetune)}
    if isinstance(report, dict):
        detail.update({k: report[k] for k in ("version", "model_version", "rows", "train_rows", "test_rows")
                       if k in report})
    try:
        audit(_store(args), _cli_actor(), "model.train", detail)
    except Exception as e:  # noqa: BLE001
        if not _is_locked(e):
            raise
        get_logger("sabor.train").warning("audit_not_recorded", extra={"reason": "database_locked", **detail})


def cmd_trends(args) -> int:
    from analysis.insight.trends import trends_json, trends_table

    store = _store(args)
    if args.by == "topic":
        _ensure_topics(store)
    try:
        out = trends_json(store, by=args.by, period=args.period)
    except ValueError as e:
        raise BadInput(str(e)) from None
    print(json.dumps(out, ensure_ascii=False, indent=2, default=str) if args.format == "json"
          else trends_table(out))
    return 0


def _ensure_topics(store) -> dict:
    """Topics for every comment before a topic trend: the first fit, with progress on stderr, or the new
    comments joining their nearest topic. Too few comments is said plainly, not raised."""
    from analysis.insight.topics import ensure_current
    from analysis.ops.logs import get_logger

    bar = _progress_bar("Temas")
    state = ensure_current(store, progress=lambda msg, frac: bar(round(frac * 1000), 1000))
    log = get_logger("sabor.cli")
    if state["status"] == "too_few":
        log.warning("topics_too_few_comments",
                    extra={"comments": state["comments"], "needed": state["needed"]})
    elif state["status"] == "fitted":
        log.info("topics_fitted", extra={"n_topics": state["n_topics"], "n_docs": state["n_docs"]})
    return state


def cmd_topics(args) -> int:
    from analysis.insight.topics import topics_json

    store = _store(args)
    _ensure_topics(store)
    out = topics_json(store)
    if args.format == "json":
        print(json.dumps(out, ensure_ascii=False, indent=2, default=str))
        return 0
    if not out["topics"]:
        print("Sin temas: cargue más comentarios (sabor ingest) y vuelva a intentarlo.")
        return 0
    import pandas as pd

    t = pd.DataFrame(out["topics"])[["id", "label", "size", "share", "phrase"]]
    t["share"] = (t["share"] * 100).round(1)
    print(t.to_string(index=False))
    return 0


def cmd_ask(args) -> int:
    from analysis.ask import ask

    store = _store(args)
    answer = ask(store, args.question)
    from analysis.store import audit

    audit(store, _cli_actor(), "ask", {"question": answer.question, "sql": answer.sql,
                                       "backend": answer.backend, "error": answer.error})
    if args.format == "json":
        print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2, default=str))
    else:
        print(answer.answer)
        if answer.sql:
            print(f"\nSQL: {answer.sql}")
        if answer.rows:
            import pandas as pd

            print(pd.DataFrame(answer.rows, columns=answer.columns).to_string(index=False))
    return 0 if not answer.error else 2


def cmd_insights(args) -> int:
    from analysis.insight.report import insights_json

    out = insights_json(_store(args), lang=args.lang)
    if args.format == "json":
        print(json.dumps(out, ensure_ascii=False, indent=2, default=str))
        return 0
    print(out["summary"]["text"])
    for r in out["recommendations"]:
        print(f"\n{r['rank']}. [{r['audience']}] {r['title']} ({r['confidence']})")
    return 0


def cmd_report(args) -> int:
    from analysis.insight.report import write_report

    path = write_report(_store(args), args.format, args.output)
    print(path)
    return 0


def cmd_health(args) -> int:
    from analysis.ops.health import readiness

    result = readiness(args.db, deep=args.deep)
    print(json.dumps(result, ensure_ascii=False, default=str))
    return 0 if result.get("ok") else 1


def cmd_token(args) -> int:
    from analysis.store import create_token, list_tokens, revoke_token

    try:
        store, app = _store_or_app(args)
    except Exception as e:  # DuckDB admits one writing process: the running app holds the file
        if "lock" not in str(e).lower():
            raise
        raise BadInput("la base de datos está abierta por la app en marcha (sabor serve / make run): "
                       "deténgala para gestionar tokens, o use la API con un token admin "
                       "(POST /api/v1/tokens)") from None
    if app is not None:
        return _token_through_app(app, args)
    if args.token_command == "create":
        try:
            token = create_token(store, args.name, args.role, actor="cli")
        except ValueError as e:
            raise BadInput(str(e)) from None
        if args.format == "json":
            print(json.dumps({"name": args.name, "role": args.role, "token": token}, ensure_ascii=False))
        else:
            print(token)
            print(f"sabor: token {args.name!r} ({args.role}) creado; se muestra solo esta vez",
                  file=sys.stderr)
        return 0
    if args.token_command == "revoke":
        if not revoke_token(store, args.name, actor="cli"):
            raise BadInput(f"no hay un token activo llamado {args.name!r}")
        print(f"token {args.name!r} revocado")
        return 0
    df = list_tokens(store, include_revoked=args.all)
    if args.format == "json":
        from analysis.exports import plain

        print(json.dumps(plain(df), ensure_ascii=False, indent=2))
    elif df.empty:
        print("Sin tokens: cree uno con `sabor token create --role viewer --name N`.")
    else:
        print(df.to_string(index=False))
    return 0


def _token_through_app(app, args) -> int:
    """`sabor token` handed to the running app (its /api/v1/tokens routes, as the local administrator)."""
    from analysis.ops.handover import HandoverError

    try:
        if args.token_command == "create":
            out = app.post_json("/api/v1/tokens", {"name": args.name, "role": args.role})
            print(json.dumps(out, ensure_ascii=False) if args.format == "json" else out["token"])
        elif args.token_command == "revoke":
            app.delete(f"/api/v1/tokens/{args.name}")
            print(f"token {args.name!r} revocado")
        else:
            import pandas as pd

            q = "?include_revoked=true" if args.all else ""
            df = pd.DataFrame(app.get(f"/api/v1/tokens{q}")["items"])
            print(df.to_json(orient="records", force_ascii=False) if args.format == "json"
                  else (df.to_string(index=False) if not df.empty else "Sin tokens."))
    except HandoverError as e:
        raise BadInput(str(e)) from None
    return 0


def _open_for_serving(log):
    """The Store for a serving process; a database another process holds is bad input, said in one line."""
    from analysis.store import Store
    from analysis.store.crypto import EncryptionError

    try:
        return Store.open()
    except EncryptionError as e:
        raise BadInput(str(e)) from None
    except Exception as e:  # duckdb.IOException on the lock; anything else is a real failure
        if "lock" in str(e).lower():
            log.error("database_locked", extra={"error": type(e).__name__})
            db = os.environ.get("SABOR_DB", "~/.sabor/sabor.duckdb")
            raise BadInput(f"la base de datos {db} está abierta por otro proceso "
                           f"(¿`sabor serve` en marcha? su API ya atiende en :8600)") from None
        raise


def _api_port_arg(value: str) -> int:
    port = int(value)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError("puerto fuera de rango (0-65535)")
    return port


def cmd_api(args) -> int:
    """The HTTP API alone, in the foreground (waitress). While `sabor serve` runs, the API is already
    served by that process (DuckDB admits one writing process per file), so this is for an API without
    the dashboard."""
    if args.db:
        os.environ["SABOR_DB"] = str(Path(args.db).expanduser().resolve())
    from analysis.api import create_app
    from analysis.api.server import serve_forever, warm_up
    from analysis.ops import health, metrics
    from analysis.ops.logs import get_logger

    log = get_logger("sabor.api")
    store = _open_for_serving(log)
    exporter = metrics.start_exporter()
    if exporter is not None:
        log.info("metrics_exporter_started", extra={"addr": exporter[0], "port": exporter[1]})
    store.refresh_gauges()
    health.watch_quality(store)
    warm_up(store)
    from analysis.ops import handover

    try:
        serve_forever(create_app(store), args.address, args.port,
                      on_bound=lambda port: handover.write_runfile(store.path, args.address, port))
    except OSError as e:
        raise BadInput(f"no se pudo abrir {args.address}:{args.port}: {e.strerror or e}") from None
    return 0


def cmd_serve(args) -> int:
    """The dashboard, with the /metrics exporter started first in the same process: `streamlit run`
    executes dashboard/app.py only when a browser connects, so without this Prometheus would see the
    app as down after every restart until someone opened a page. With `--api-port` the HTTP API is served
    by this same process (a thread), sharing its Store: DuckDB admits one writing process per file."""
    if args.db:
        os.environ["SABOR_DB"] = str(Path(args.db).expanduser().resolve())
    from analysis.ops import health, metrics
    from analysis.ops.logs import get_logger

    log = get_logger("sabor.serve")
    exporter = metrics.start_exporter()
    if exporter is None:
        log.warning("metrics_exporter_not_started", extra={"port": metrics.metrics_address()[1]})
    else:
        log.info("metrics_exporter_started", extra={"addr": exporter[0], "port": exporter[1]})
    from analysis.ops import jobs

    store = _open_for_serving(log)
    store.refresh_gauges()
    from analysis import signin

    if signin.auth_enabled() and signin.bootstrap_admin(store):   # SABOR_ADMIN_USER, no user yet
        log.info("first_admin_created")
    health.watch_quality(store)
    health.watch_freshness(store)
    from analysis.ops.refresh import start_in_app

    if start_in_app(store) is not None:   # SABOR_INBOX: the app collects files and alerts by itself
        log.info("inbox_in_app_started")
    if args.api_port:
        from analysis.api import create_app
        from analysis.api.server import start_in_thread, warm_up

        warm_up(store)
        try:  # before Streamlit binds: when the dashboard answers, the API already does
            server = start_in_thread(create_app(store), args.api_address, args.api_port)
        except OSError as e:
            raise BadInput(f"no se pudo abrir la API en {args.api_address}:{args.api_port}: "
                           f"{e.strerror or e}") from None
        from analysis.ops import handover

        # the CLI hands its writes to this process through the API (one writer; analysis.ops.handover)
        handover.write_runfile(store.path, args.api_address, int(server.effective_port))
    if args.analyze:
        jobs.start_analysis(store)  # the dashboard opens at once; BERT scores the backlog meanwhile

    from streamlit.web import cli as stcli

    _streamlit_logs_as_json()
    sys.argv = ["streamlit", "run", str(ROOT / "dashboard" / "app.py"), "--server.port", str(args.port),
                "--server.address", args.address, "--server.headless", "true",
                "--browser.gatherUsageStats", "false",
                # also when run outside the repository (whose .streamlit/config.toml says the same): no
                # traceback in the browser, no unneutralised CSV download from the tables' toolbar
                "--client.showErrorDetails", "none", "--client.disableDataExport", "true"]
    code = 0
    try:
        stcli.main(standalone_mode=False)  # returns when Streamlit's own SIGTERM/SIGINT handler stopped it
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 0
    finally:
        # the scorer stops between batches and DuckDB closes before the interpreter does
        from analysis.ops import handover

        handover.remove_runfile()
        jobs.finish(store)
    return code


def _refresh_config(args, **kw):
    from analysis.insight.alerts import RuleError, load_rules_file
    from analysis.ops import notify
    from analysis.ops.refresh import STAGES, RefreshConfig

    inbox = args.inbox or os.environ.get("SABOR_INBOX") or None
    if inbox:
        from analysis.ops.inbox import Inbox

        try:
            Inbox(inbox).check()          # made when missing if its parent exists (a fresh volume)
        except FileNotFoundError as e:
            raise BadInput(str(e)) from None
    rules = args.rules or os.environ.get("SABOR_ALERT_RULES") or None
    try:
        if rules:
            load_rules_file(rules)                  # a bad rules file stops before anything is loaded
        notify.channels_from_env()
    except (RuleError, ValueError) as e:
        raise BadInput(str(e)) from None
    skip = set(getattr(args, "skip", None) or [])
    unknown = skip - set(STAGES)
    if unknown:
        raise BadInput(f"--skip: etapa desconocida {sorted(unknown)}; use {', '.join(STAGES)}")
    if skip:
        kw["skip"] = frozenset(skip)
    return RefreshConfig.from_env(inbox=Path(inbox).expanduser() if inbox else None, rules_file=rules, **kw)


def _print_refresh(out: dict, fmt: str) -> None:
    if fmt == "json":
        print(json.dumps(out, ensure_ascii=False, indent=2, default=str))
        return
    print(f"Actualización {out['run_id']}: {out['status']} en {out.get('seconds') or 0:.1f} s")
    print(f"  archivos cargados {out['files_loaded']}, fallidos {out['files_failed']}, "
          f"ya cargados {out['files_duplicate']}; filas {out['rows_loaded']:,}")
    print(f"  comentarios analizados {out['scored']:,}; cambios significativos {out['shifts_found']}")
    print(f"  alertas nuevas {out['alerts_new']}, enviadas {out['alerts_sent']}, "
          f"entregas fallidas {out['deliveries_failed']}")
    for f in out["files"]:
        print(f"  - {f['file']}: {f['status']}" + (f" ({f['reason']})" if f.get("reason") else ""))
    for a in out["alerts"]:
        print(f"  * {a['sentence']}")


def cmd_refresh(args) -> int:
    from analysis.ops.refresh import run_refresh, run_stage, summary

    cfg = _refresh_config(args, trigger=args.trigger)
    store = _store(args)
    if args.stage == "all":
        if args.run_id and not args.run_id.strip():
            raise BadInput("--run-id vacío")
        out = run_refresh(store, cfg, run_id=args.run_id or None)
        _print_refresh(out, args.format)
        return 0 if out["status"] == "ok" else EXIT_PARTIAL
    if not args.run_id:
        raise BadInput("--stage necesita --run-id (el mismo para todas las etapas de una ejecución)")
    result = run_stage(store, args.stage, args.run_id, cfg)
    out = summary(store, args.run_id) | {"stage": args.stage, "stage_result": result}
    _print_refresh(out, args.format)
    failed = result.get("files_failed", 0) or (result.get("deliveries") or {}).get("failed", 0)
    return EXIT_PARTIAL if failed else 0


def cmd_watch(args) -> int:
    import signal
    import threading

    from analysis.ops.inbox import Inbox, watch
    from analysis.ops.logs import get_logger
    from analysis.store import Store, default_db_path

    inbox = Inbox.from_env(args.dir)
    if args.settle is not None:
        inbox.settle_s = args.settle
    try:
        inbox.check()
    except FileNotFoundError as e:
        raise BadInput(str(e)) from None
    cfg = _refresh_config(argparse.Namespace(inbox=args.dir, rules=None), trigger="watch") if args.refresh \
        else None
    db = Path(args.db).expanduser() if args.db else default_db_path()
    log = get_logger("sabor.watch")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())

    def handle(batch) -> None:
        # The database is opened per batch and closed after it: between files the lock is free for
        # `sabor refresh`, `sabor ingest` or a scheduled job.
        store = Store.open(db)
        try:
            if cfg is not None:
                from analysis.ops.refresh import RefreshConfig, run_refresh

                out = run_refresh(store, RefreshConfig(**{**cfg.__dict__, "files": batch}))
                files = out["files"]
            else:
                files = inbox.process(store, batch)["files"]
        finally:
            store.close()
        for f in files:
            print(f"{f['status']}: {f['file']} ({f.get('kind') or '-'}, {f['rows_loaded']:,} filas) → "
                  f"{f.get('moved_to')}" + (f" — {f['reason']}" if f.get("reason") else ""), flush=True)

    log.info("watch_started", extra={"settle_s": inbox.settle_s, "refresh": bool(args.refresh)})
    print(f"sabor: vigilando {inbox.root} (Ctrl+C para terminar)", file=sys.stderr, flush=True)
    if args.once:
        batch = inbox.wait_ready()
        if batch:
            handle(batch)
        return 0
    watch(inbox, handle, stop, interval=args.interval)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sabor",
                                description="Sabor: preferencias de sabor del consumidor peruano")
    p.add_argument("--db", help="archivo DuckDB (por defecto $SABOR_DB o ~/.sabor/sabor.duckdb)")
    p.add_argument("--lang", choices=["es", "en"], default="es", help="idioma de los mensajes")
    sub = p.add_subparsers(dest="command", required=True)

    def add(name, fn, help_):
        sp = sub.add_parser(name, help=help_)
        sp.add_argument("--db", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        sp.set_defaults(fn=fn)
        return sp

    sp = add("ingest", cmd_ingest,
             "cargar un archivo de comentarios (o de tendencias de mercado con --market)")
    sp.add_argument("file")
    sp.add_argument("--market", action="store_true", help="el archivo es una tabla de tendencias de mercado")
    sp.add_argument("--map", action="append", metavar="col=Encabezado",
                    help="asignar una columna a mano, p. ej. --map text=Comentario")
    sp.add_argument("--format", choices=["text", "json"], default="text")
    add("demo", cmd_demo, "cargar los datos de demostración incluidos (data/)")
    sp = add("analyze", cmd_analyze, "clasificar con BERT los comentarios aún no analizados")
    sp.add_argument("--limit", type=int, default=None)
    sp.add_argument("--topics", action="store_true", help="ajustar también los temas (BERTopic)")
    sp.add_argument("--quiet", action="store_true")
    sp.add_argument("--engine", choices=["local", "ray"], default="local",
                    help="local: este proceso; ray: actores de Ray Data (un Ray local, o --address)")
    sp.add_argument("--address", default=None,
                    help="clúster de Ray existente (ray://host:10001, host:6379 o auto); "
                         "sin ella se inicia un Ray local")
    sp.add_argument("--workers", type=int, default=None,
                    help="actores de Ray (por defecto: 2 en local, una CPU del clúster cada uno)")
    sp = add("classify", cmd_classify, "clasificar un CSV sin base de datos")
    sp.add_argument("--input", required=True)
    sp.add_argument("--text-column", required=True)
    sp.add_argument("--output", required=True)
    sp = add("train", cmd_train, "entrenar la cabeza de sentimiento con reseñas etiquetadas")
    sp.add_argument("--input", required=True)
    sp.add_argument("--text-column", required=True)
    sp.add_argument("--label-column", required=True)
    sp.add_argument("--finetune", action="store_true",
                    help="ajustar también el codificador (LoRA): mejor, pero minutos en vez de segundos")
    sp.add_argument("--epochs", type=int, default=3, help="épocas de ajuste con --finetune")
    sp = add("trends", cmd_trends, "cambios de preferencias en el tiempo")
    sp.add_argument("--by", choices=["attribute", "mention", "topic", "term", "product", "region"],
                    default="attribute")
    sp.add_argument("--period", choices=["month", "quarter"], default="month")
    sp.add_argument("--format", choices=["json", "table"], default="table")
    sp = add("topics", cmd_topics, "temas de los comentarios (BERTopic): etiqueta, palabras, ejemplos")
    sp.add_argument("--format", choices=["json", "table"], default="table")
    sp = add("ask", cmd_ask, "preguntar a los datos en español o inglés")
    sp.add_argument("question")
    sp.add_argument("--format", choices=["json", "text", "table"], default="text")
    sp = add("insights", cmd_insights, "recomendaciones con evidencia (lo mismo que GET /api/v1/insights)")
    sp.add_argument("--format", choices=["json", "table"], default="table")
    sp = add("report", cmd_report, "informe de recomendaciones")
    sp.add_argument("--format", choices=["md", "html", "pdf"], default="md")
    sp.add_argument("--output", required=True)
    sp = add("health", cmd_health, "comprobar que la base de datos abre y el modelo carga")
    sp.add_argument("--deep", action="store_true", help="cargar también el modelo")
    sp = add("refresh", cmd_refresh,
             "actualizar: carpeta de entrada → análisis → temas → tendencias → alertas (para cron/Airflow)")
    sp.add_argument("--inbox", help="carpeta de entrada (por defecto $SABOR_INBOX)")
    sp.add_argument("--rules", help="reglas de alerta en YAML (por defecto $SABOR_ALERT_RULES)")
    sp.add_argument("--format", choices=["json", "text"], default="text")
    sp.add_argument("--stage", choices=["all", "inbox", "score", "topics", "trends", "alerts"], default="all",
                    help="una sola etapa de la ejecución --run-id (una tarea por etapa en Airflow)")
    sp.add_argument("--run-id", help="identificador de la ejecución (el mismo en todas sus etapas)")
    sp.add_argument("--skip", action="append", metavar="ETAPA",
                    help="no ejecutar esta etapa (inbox, score, topics, trends, alerts); repetible")
    sp.add_argument("--trigger", default="cli", help=argparse.SUPPRESS)
    sp = add("watch", cmd_watch, "cargar los archivos que se dejen en una carpeta")
    sp.add_argument("dir")
    sp.add_argument("--interval", type=float, default=1.0, help="segundos entre revisiones (1)")
    sp.add_argument("--settle", type=float, default=None,
                    help="segundos sin cambios para dar un archivo por completo ($SABOR_INBOX_SETTLE_S o 2)")
    sp.add_argument("--refresh", action="store_true",
                    help="tras cada lote: analizar, temas, tendencias y alertas (como sabor refresh)")
    sp.add_argument("--once", action="store_true", help="procesar lo que esté listo y salir")
    sp = add("serve", cmd_serve, "iniciar el panel (igual que make run)")
    sp.add_argument("--port", type=int, default=int(os.environ.get("SABOR_PORT", "8501")))
    sp.add_argument("--address", default=os.environ.get("SABOR_ADDRESS", "127.0.0.1"))
    sp.add_argument("--analyze", action="store_true",
                    help="analizar en segundo plano los comentarios aún no clasificados")
    sp.add_argument("--api-port", type=_api_port_arg, default=None,
                    help="servir también la API HTTP en este puerto, en este mismo proceso (make run: 8600)")
    sp.add_argument("--api-address", default=os.environ.get("SABOR_API_ADDR", "127.0.0.1"))
    sp = add("api", cmd_api, "servir solo la API HTTP (sin el panel; con el panel use serve --api-port)")
    sp.add_argument("--port", type=_api_port_arg, default=int(os.environ.get("SABOR_API_PORT", "8600")))
    sp.add_argument("--address", default=os.environ.get("SABOR_API_ADDR", "127.0.0.1"))
    sp = add("token", cmd_token, "tokens de la API: crear, revocar, listar")
    tsub = sp.add_subparsers(dest="token_command", required=True)
    tp = tsub.add_parser("create", help="crear un token (se muestra una sola vez)")
    tp.add_argument("--role", required=True, choices=list(ROLES))
    tp.add_argument("--name", required=True)
    tp.add_argument("--format", choices=["text", "json"], default="text")
    tp.add_argument("--db", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    tp = tsub.add_parser("revoke", help="revocar un token por su nombre")
    tp.add_argument("name")
    tp.add_argument("--db", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    tp = tsub.add_parser("list", help="listar los tokens (nombre, rol, fechas; nunca el token)")
    tp.add_argument("--all", action="store_true", help="incluir los revocados")
    tp.add_argument("--format", choices=["text", "json"], default="text")
    tp.add_argument("--db", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    from analysis import cli_access

    cli_access.add_commands(sub, add)
    return p


def _logs_as_json_lines():
    """Everything the command logs on stderr is a JSON line (analysis.ops.logs): the project's loggers,
    Python warnings and any library logger that propagates to the root. The one exception is the one-line
    reason of a bad-input exit (2), which is the command's answer, not a log."""
    import logging

    from analysis.ops import logs

    handler = logs.configure()
    logging.captureWarnings(True)
    root = logging.getLogger()
    if handler not in root.handlers:
        root.addHandler(handler)
        root.setLevel(max(logging.WARNING, logs.level_from_env()))
    return logs


def _streamlit_logs_as_json() -> None:
    """Streamlit's own lines (server start, Uvicorn, errors of a page) as the same JSON lines: its logger
    module gives each of its loggers a plain-text handler through `setup_formatter`; that builder is
    replaced (and re-run for the loggers already made) before Streamlit starts."""
    import logging

    from analysis.ops.logs import JsonFormatter

    stlog = sys.modules.get("streamlit.logger")
    if stlog is None:
        return

    def setup_formatter(logger: logging.Logger) -> None:
        old = getattr(logger, "streamlit_console_handler", None)
        if old is not None:
            logger.removeHandler(old)
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        logger.streamlit_console_handler = handler
        logger.addHandler(handler)

    stlog.setup_formatter = setup_formatter
    stlog.update_formatter()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import uuid

    logs = _logs_as_json_lines()
    with logs.bind_session(f"cli-{args.command}-{uuid.uuid4().hex[:8]}"):
        try:
            return args.fn(args)
        except BadInput as e:
            print(f"sabor: error: {' '.join(str(e).split())}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            return 130
        except Exception as e:  # noqa: BLE001 -- one JSON line with the traceback, not a bare traceback
            reason = _lock_holder(e)
            if reason is not None:
                print(f"sabor: error: {reason}", file=sys.stderr)
                return EXIT_LOCKED
            logs.get_logger("sabor.cli").exception("command_failed",
                                                   extra={"command": args.command, "error": type(e).__name__})
            return 1


if __name__ == "__main__":
    sys.exit(main())
