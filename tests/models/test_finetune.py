"""LoRA fine-tuning: heads refuse the wrong encoder and a real fine-tune registers a loadable head (the
shipped head against its card: tests/models/test_shipped_head.py)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from models import finetune as ft
from models import heads, labels, train
from models import sentiment as sent


def test_a_head_refuses_an_encoder_without_its_adapter(tmp_path, encoder):
    base = sent.baseline_head()
    head = sent.SentimentHead(version="x-lora", W=base.W, b=base.b, adapter=tmp_path / sent.ADAPTER_FILE)
    with pytest.raises(ValueError, match="needs encoder adapter"):
        sent.Analyzer(head, encoder=encoder)


@pytest.mark.slow
def test_finetune_on_real_reviews_registers_a_head_that_reloads_identically(tmp_path, real_dir, encoder):
    src = pd.read_csv(real_dir / "restmex2021_guanajuato_es.csv")
    src = pd.concat([g.head(50) for _, g in src.dropna(subset=["Opinion"]).groupby("Label")])   # 250 rows
    f = tmp_path / "labelled.csv"
    src[["Opinion", "Label"]].to_csv(f, index=False)
    cfg = ft.FinetuneConfig(epochs=1, max_tokens=96, r=4, alpha=8)
    rep = train.train(f, "Opinion", "Label", registry_dir=tmp_path / "reg", seed=5, finetune=True,
                      ft_config=cfg, log=lambda *_: None)
    d = tmp_path / "reg" / rep["version"]
    assert (d / sent.ADAPTER_FILE).stat().st_size < 1_000_000          # small enough to version in the repo
    meta = json.loads((d / "metadata.json").read_text())
    assert meta["finetune"]["method"] == "LoRA" and "+lora-" in meta["encoder"]
    assert meta["finetune"]["finetune_rows"] + meta["finetune"]["dev_rows"] == rep["train_rows"]
    head = sent.SentimentHead.load(d)
    an = sent.Analyzer(head)                              # loads base weights + this adapter
    assert an.encoder.version == meta["encoder"]
    texts = src["Opinion"].astype(str).str.strip('"').head(20).tolist()
    adapted, plain = an.encoder.embed(texts), encoder.embed(texts)
    assert np.min(np.sum(adapted * plain, 1)) < 0.9999    # the adapter really changes the vectors
    # The registered head scores what the training run scored: same split, same numbers.
    df = labels.load_labelled(f, "Opinion", "Label")
    _, te = train._split(df, 0.2, 5)
    again = heads.evaluate(head, an.encoder.embed(df["text"].iloc[te].tolist()), df["cls"].to_numpy()[te],
                           df["stars"].to_numpy(dtype=float)[te])
    assert again["macro_f1"] == rep["test"]["macro_f1"] and again["stars_exact"] == rep["test"]["stars_exact"]
