"""The inbox on a real folder with real files: kinds told apart by columns or subfolder, done/ and failed/
with the load report beside each file, the same bytes never loaded twice, files still being written left
alone, and a restart that picks up where the last process stopped."""
from __future__ import annotations

import json
import os
import time

import pytest

from analysis.demo import DEMO_FEEDBACK, DEMO_MARKET
from analysis.ops import metrics
from analysis.ops.inbox import Inbox, detect_kind


def head(path, n: int) -> bytes:
    return b"".join(path.read_bytes().splitlines(keepends=True)[:n])


FEEDBACK = head(DEMO_FEEDBACK, 41)       # header + 40 comments
MARKET = head(DEMO_MARKET, 31)           # header + 30 product x region x month rows


def age(path, seconds: float) -> None:
    """Make a file look written `seconds` ago (as if a pipeline had dropped it earlier)."""
    t = time.time() - seconds
    os.utime(path, (t, t))


def inbox_counter(outcome: str) -> float:
    return metrics.INBOX_FILES.labels(outcome=outcome)._value.get()


@pytest.fixture
def inbox(tmp_path):
    root = tmp_path / "entrada"
    root.mkdir()
    return Inbox(root, settle_s=0.3)


def test_kind_is_told_by_the_columns():
    assert detect_kind(FEEDBACK, "encuesta.csv") == "feedback"
    assert detect_kind(MARKET, "ventas.csv") == "market"
    long = b"fecha,producto,metrica,valor\n2025-01,Chifles,ventas,10\n2025-02,Chifles,ventas,12\n"
    assert detect_kind(long, "largo.csv") == "market"
    reviews = "review,stars\nMuy rico el ají pero caro,4\n".encode()
    assert detect_kind(reviews, "r.csv") == "feedback"


def test_files_are_loaded_moved_with_their_report_and_counted(store, inbox):
    (inbox.root / "encuesta.csv").write_bytes(FEEDBACK)
    (inbox.root / "ventas.csv").write_bytes(MARKET)
    (inbox.root / "notas.pdf").write_bytes(b"%PDF-1.4 not data")
    for p in inbox.root.iterdir():
        age(p, 5)
    loaded0, failed0 = inbox_counter("loaded"), inbox_counter("failed")
    assert inbox.process(store)["files"] == []              # first look: sizes noted, nothing read yet
    time.sleep(0.35)                                         # a second look settle_s later: unchanged
    res = inbox.process(store)
    by = {f["file"]: f for f in res["files"]}
    assert by["encuesta.csv"]["status"] == "loaded" and by["encuesta.csv"]["kind"] == "feedback"
    assert by["encuesta.csv"]["rows_loaded"] == store.feedback_count() == 40
    assert by["ventas.csv"]["status"] == "loaded" and by["ventas.csv"]["kind"] == "market"
    assert by["notas.pdf"]["status"] == "failed" and "no soportado" in by["notas.pdf"]["reason"]
    assert (res["files_loaded"], res["files_failed"], res["rows_loaded"]) == (2, 1, 40 + 90)
    assert sorted(p.name for p in inbox.root.iterdir() if p.is_file()) == []
    done = inbox.root / "done"
    rep = json.loads((done / "encuesta.csv.report.json").read_text())
    assert rep["status"] == "loaded" and rep["rows_loaded"] == 40 and rep["kind"] == "feedback"
    assert "Filas cargadas: 40" in (done / "encuesta.csv.report.txt").read_text()
    assert (done / "encuesta.csv").read_bytes() == FEEDBACK
    failed = inbox.root / "failed"
    assert json.loads((failed / "notas.pdf.report.json").read_text())["reason"] == "unsupported_format"
    assert inbox_counter("loaded") - loaded0 == 2 and inbox_counter("failed") - failed0 == 1
    # the same bytes under another name, later: never loaded twice
    (inbox.root / "encuesta_copia.csv").write_bytes(FEEDBACK)
    age(inbox.root / "encuesta_copia.csv", 5)
    (dup,) = inbox.process(store, inbox.wait_ready())["files"]
    assert dup["status"] == "duplicate" and "ya cargado" in dup["reason"]
    assert store.feedback_count() == 40 and len(store.uploads()) == 2
    assert json.loads((done / "encuesta_copia.csv.report.json").read_text())["status"] == "duplicate"


def test_subfolders_say_the_kind_and_names_never_collide(store, inbox):
    (inbox.root / "feedback").mkdir()
    (inbox.root / "market").mkdir()
    (inbox.root / "feedback" / "a.csv").write_bytes(FEEDBACK)
    (inbox.root / "market" / "a.csv").write_bytes(MARKET)
    for p in inbox.root.rglob("*.csv"):
        age(p, 5)
    res = inbox.process(store, inbox.wait_ready())
    assert sorted((f["kind"], f["status"]) for f in res["files"]) == [("feedback", "loaded"),
                                                                       ("market", "loaded")]
    moved = sorted(p.name for p in (inbox.root / "done").iterdir() if not p.name.endswith((".json", ".txt")))
    assert len(moved) == 2 and "a.csv" in moved                 # the second one got a unique name


def test_a_file_still_being_written_is_not_read(store, inbox):
    f = inbox.root / "grande.csv"
    with f.open("wb") as out:
        out.write(FEEDBACK[:500])                    # a writer is half-way
        out.flush()
        assert inbox.ready() == []
        time.sleep(0.4)
        out.write(FEEDBACK[500:1000])                # it grew: the clock starts again
        out.flush()
        assert inbox.ready() == []
        out.write(FEEDBACK[1000:])
    assert inbox.ready() == []                       # just finished: not yet settled
    time.sleep(0.4)
    assert [p.name for p, _ in inbox.ready()] == ["grande.csv"]
    # names of files in transfer are never read; hidden files neither
    for name in ("otro.csv.part", ".oculto.csv", "x.csv.tmp", "descarga.csv.crdownload"):
        (inbox.root / name).write_bytes(FEEDBACK)
        age(inbox.root / name, 60)
    assert [p.name for p, _ in inbox.candidates()] == ["grande.csv"]


def test_a_ready_marker_is_read_at_once_and_can_be_required(store, tmp_path):
    strict = Inbox(tmp_path, settle_s=30, require_marker=True)
    (tmp_path / "e.csv").write_bytes(FEEDBACK)
    age(tmp_path / "e.csv", 120)
    assert strict.ready() == [] and strict.ready() == []            # old and stable, but no marker
    (tmp_path / "e.csv.ready").write_text("")
    assert [p.name for p, _ in strict.ready()] == ["e.csv"]           # no settling wait with a marker
    assert strict.process(store)["files_loaded"] == 1
    assert not (tmp_path / "e.csv.ready").exists()


def test_a_restart_picks_up_what_is_left_and_a_crash_after_loading_is_a_duplicate(store, inbox):
    from analysis.ingest import ingest_bytes

    (inbox.root / "uno.csv").write_bytes(FEEDBACK)
    age(inbox.root / "uno.csv", 5)
    # the last process loaded it and died before moving it
    ingest_bytes(store, FEEDBACK, "uno.csv")
    fresh = Inbox(inbox.root, settle_s=0.3)                           # a new process: nothing in memory
    ready = fresh.wait_ready()
    assert [p.name for p, _ in ready] == ["uno.csv"]
    (res,) = fresh.process(store, ready)["files"]
    assert res["status"] == "duplicate" and store.feedback_count() == 40


def test_a_bad_file_goes_to_failed_with_the_reason_and_the_database_is_untouched(store, inbox):
    (inbox.root / "sin_texto.csv").write_text("fecha,producto\n2025-01-01,Chifles\n", encoding="utf-8")
    age(inbox.root / "sin_texto.csv", 5)
    (res,) = inbox.process(store, inbox.wait_ready())["files"]
    assert res["status"] == "failed" and res["kind"] == "feedback"
    assert "columna de comentarios" in res["reason"]
    assert store.feedback_count() == 0 and len(store.uploads()) == 0
    txt = (inbox.root / "failed" / "sin_texto.csv.report.txt").read_text()
    assert "No se cargó" in txt and "columna de comentarios" in txt


def test_links_are_not_followed_and_a_missing_inbox_is_made_under_an_existing_parent(tmp_path):
    outside = tmp_path / "secreto.csv"
    outside.write_bytes(FEEDBACK)
    box = Inbox(tmp_path / "entrada")
    box.check()                                              # a fresh volume: the folder is made
    (box.root / "enlace.csv").symlink_to(outside)
    assert box.candidates() == []
    with pytest.raises(FileNotFoundError):
        Inbox(tmp_path / "no" / "existe").check()
