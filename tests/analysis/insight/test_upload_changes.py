"""What an uploaded file changed (Cargar datos): new comments by month, shifts that became significant or
stopped being so, topics that grew."""
from __future__ import annotations

import pandas as pd

from analysis.ingest import ingest_bytes
from analysis.insight import upload_changes
from analysis.store import Store


def test_shifts_new_and_ended_are_told_apart_by_series_and_direction(demo_truth_copy):
    s = Store.open(demo_truth_copy)
    try:
        after = upload_changes.significant_shifts(s)
        assert len(after) > 10 and after["q"].lt(0.05).all()
        uid = s.query("SELECT upload_id FROM uploads WHERE kind = 'feedback' LIMIT 1")["upload_id"][0]
        # nothing known before: every significant shift is new, each with its link to Tendencias
        first = upload_changes.summarize(s, pd.DataFrame(columns=upload_changes.KEEP), uid, after=after)
        assert len(first["new_shifts"]) == len(after) and first["ended_shifts"].empty
        assert first["new_shifts"]["link"].str.startswith("/tendencias?by=").all()
        # the same state before and after: nothing new, nothing ended
        same = upload_changes.summarize(s, after, uid, after=after)
        assert same["new_shifts"].empty and same["ended_shifts"].empty
        # a shift that was significant and is no longer (its direction flipped) is "ended", its flip "new"
        flipped = after.head(1).assign(direction=lambda d: d["direction"].map({"up": "down", "down": "up"}))
        before = pd.concat([after.iloc[1:], flipped], ignore_index=True)
        out = upload_changes.summarize(s, before, uid, after=after)
        assert len(out["ended_shifts"]) == 1 and len(out["new_shifts"]) == 1
        assert out["ended_shifts"]["key"][0] == out["new_shifts"]["key"][0] == after["key"].iloc[0]
    finally:
        s.close()


def test_comments_by_month_and_topics_that_grew_are_the_files_own(store):
    old = "comentario,fecha\n" + "".join(f"ceviche rico {i},0{1 + i % 3}/01/2026\n" for i in range(30))
    new = "comentario,fecha\n" + "".join(f"chicha dulce {i},{1 + i % 5:02d}/02/2026\n" for i in range(12)) \
        + "sin fecha la causa,\n"
    ingest_bytes(store, old.encode(), "enero.csv")
    rep = ingest_bytes(store, new.encode(), "febrero.csv")
    bm = upload_changes.comments_by_month(store, rep.upload_id)
    assert bm["comments"].sum() == 13
    dated = bm.dropna(subset=["month"])
    assert [str(m)[:7] for m in dated["month"]] == ["2026-02"] and int(dated["comments"].iloc[0]) == 12
    # a topic run: earlier comments in topic 0, the file's chicha comments in topic 1
    f = store.query("SELECT feedback_id, upload_id FROM feedback")
    topic = (f["upload_id"] == rep.upload_id).astype(int)
    with store.transaction() as cur:
        cur.execute("INSERT INTO topic_runs (run_id, created_at, is_current, n_docs, n_topics) "
                    "VALUES ('r1', now(), true, 43, 2)")
        cur.execute("INSERT INTO topics (run_id, topic_id, label, keywords, size) VALUES "
                    "('r1', 0, 'ceviche', 'ceviche', 30), ('r1', 1, 'chicha dulce', 'chicha', 13)")
        Store.append(cur, "feedback_topics", pd.DataFrame(
            {"feedback_id": f["feedback_id"], "topic_id": topic, "prob": 0.9, "run_id": "r1"}))
    grown = upload_changes.topics_grown(store, rep.upload_id)
    assert grown["label"].tolist() == ["chicha dulce"]
    assert grown["n_new"][0] == 13 and grown["share_before"][0] == 0 and grown["growth"][0] == 100
