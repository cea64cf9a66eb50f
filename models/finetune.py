"""LoRA fine-tuning of the e5 encoder jointly with the sentiment and star heads (`sabor train --finetune`).

Only low-rank adapters (models/lora.py) are trained: a model version is a ~1.3 MB adapter beside its head
instead of a 470 MB encoder. The heads read the mean-pooled vector standardised with statistics of the base
vectors (folded into W, b on return), so the stored head has the format of a logistic head. The epoch is
picked on development texts the adapter never trained on.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from models import sentiment as sent
from models.encoder import autocast_dtype, mean_pool, pad_ids, token_budget_batches
from models.heads import fit_logreg, macro_f1
from models.lora import add_lora, remove_lora


@dataclass
class FinetuneConfig:
    r: int = 8
    alpha: float = 16.0
    dropout: float = 0.1
    epochs: int = 3
    lr: float = 5e-4            # adapters
    head_lr: float = 2e-3
    weight_decay: float = 0.01
    max_tokens: int = 256       # training length (inference keeps 512); 90% of the shared reviews fit
    batch_tokens: int = 4096    # padded tokens per step
    max_batch: int = 32
    stars_weight: float = 1.0
    ev_weight: float = 0.0      # squared error of the star head's expected value (ordinal signal), /4 scaled
    # Adapters only in layers >= first_layer: the layers below are frozen, so their outputs are computed
    # once per text and reused every epoch, and the backward pass stops there (cheaper steps).
    first_layer: int = 0
    seed: int = 13


def _batches(lengths: np.ndarray, cfg: FinetuneConfig, rng: np.random.Generator) -> list[np.ndarray]:
    """Length-bucketed batches in random order: shuffled, then sorted inside chunks of 50 batches."""
    idx = rng.permutation(len(lengths))
    chunk = cfg.max_batch * 50
    out = []
    for s in range(0, len(idx), chunk):
        part = idx[s:s + chunk]
        part = part[np.argsort(lengths[part], kind="stable")]
        out += [np.array(b) for b in token_budget_batches(part, lengths, cfg.max_batch, cfg.batch_tokens)]
    rng.shuffle(out)
    return out


def finetune(encoder, texts: list[str], cls: np.ndarray, stars: np.ndarray, dev_texts: list[str],
             dev_cls: np.ndarray, base_X: np.ndarray, cfg: FinetuneConfig | None = None, log=print,
             dev_score=None):
    """Train adapters + heads on (texts, cls, stars); pick the epoch by macro-F1 on the dev texts, or by
    `dev_score(dev_vectors, (W3, b3), (W5, b5))` (heads folded to read raw vectors) when given.

    `encoder`: a models.encoder.Encoder whose model is modified in place (adapter merged) on return.
    `base_X`: base-encoder vectors of `texts`, for the fixed standardisation and the head initialisation.
    Returns (adapter tensors, W3, b3, W5, b5, history); W/b read raw normalised vectors.
    """
    cfg = cfg or FinetuneConfig()
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    model = encoder.model
    model.train()
    mu = torch.tensor(base_X.mean(0), dtype=torch.float32)
    sd = torch.tensor(base_X.std(0) + 1e-6, dtype=torch.float32)
    Z = (base_X - base_X.mean(0)) / (base_X.std(0) + 1e-6)
    y3 = np.array([sent.CLASSES.index(c) for c in cls])
    has = ~np.isnan(stars)
    y5 = np.where(has, np.nan_to_num(stars, nan=1).astype(int) - 1, -100)

    # Heads start from logistic fits on the base vectors, so the first steps already point the right way.
    head3, head5 = nn.Linear(base_X.shape[1], 3), nn.Linear(base_X.shape[1], 5)
    with torch.no_grad():
        c3 = fit_logreg(Z, y3, 0.1, True, cfg.seed)
        head3.weight.copy_(torch.tensor(c3.coef_)); head3.bias.copy_(torch.tensor(c3.intercept_))
        if has.sum() and len(np.unique(y5[has])) == 5:
            c5 = fit_logreg(Z[has], y5[has], 0.1, False, cfg.seed)
            head5.weight.copy_(torch.tensor(c5.coef_)); head5.bias.copy_(torch.tensor(c5.intercept_))
    loras = add_lora(model, cfg.r, cfg.alpha, cfg.dropout, first_layer=cfg.first_layer)
    lora_params = [p for lo in loras.values() for p in (lo.A, lo.B)]
    opt = torch.optim.AdamW([{"params": lora_params, "lr": cfg.lr},
                             {"params": list(head3.parameters()) + list(head5.parameters()),
                              "lr": cfg.head_lr}],
                            weight_decay=cfg.weight_decay)
    counts = np.bincount(y3, minlength=3).astype(float)
    ce3 = nn.CrossEntropyLoss(weight=torch.tensor(len(y3) / (3 * np.maximum(counts, 1)), dtype=torch.float32))
    ce5 = nn.CrossEntropyLoss(ignore_index=-100)

    ids = [e.ids for e in encoder._tokenize(texts)]
    lengths = np.array([min(len(e), cfg.max_tokens) for e in ids])
    steps_per_epoch = len(_batches(lengths, cfg, np.random.default_rng(0)))
    total = steps_per_epoch * cfg.epochs
    warm = max(1, total // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (total - s) / max(1, total - warm)))
    dtype = autocast_dtype()
    lower = lower_states(model, ids, lengths, cfg.first_layer, dtype) if cfg.first_layer else None
    history, best = [], None
    t0 = time.perf_counter()
    step = 0
    for epoch in range(cfg.epochs):
        model.train()
        for rows in _batches(lengths, cfg, rng):
            x, m = pad_ids([ids[i] for i in rows], int(lengths[rows].max()))
            with torch.autocast("cpu", dtype=dtype, enabled=dtype is not None):
                if lower is None:
                    h = model(input_ids=x, attention_mask=m).last_hidden_state
                else:
                    h = upper_layers(model, _stack([lower[i] for i in rows], m.shape[1]), m, cfg.first_layer)
            v = (mean_pool(h, m) - mu) / sd
            loss = ce3(head3(v), torch.from_numpy(y3[rows]))
            t5 = torch.from_numpy(y5[rows])
            if (t5 >= 0).any():
                z5 = head5(v)
                loss = loss + cfg.stars_weight * ce5(z5, t5)
                if cfg.ev_weight:
                    ok = t5 >= 0
                    ev = torch.softmax(z5[ok], 1) @ torch.arange(5, dtype=z5.dtype)
                    loss = loss + cfg.ev_weight * (((ev - t5[ok].to(ev.dtype)) / 4) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(lora_params, 1.0)
            opt.step()
            sched.step()
            step += 1
            if step % 50 == 0:
                el = time.perf_counter() - t0
                log(f"epoch {epoch + 1} step {step}/{total} loss {loss.item():.3f} "
                    f"({el:.0f} s, ~{el / step * (total - step):.0f} s left)")
        # Dev check: encoder in eval mode (no dropout), pooled vectors through the current head.
        model.eval()
        with torch.no_grad():
            dvn = encoder.encode(dev_texts).vectors
            dv = torch.from_numpy(dvn)
            p = torch.softmax(head3((dv - mu) / sd), 1).numpy()
        if dev_score is None:
            f1 = macro_f1(dev_cls, np.array(sent.CLASSES)[p.argmax(1)])
        else:
            f1 = float(dev_score(dvn, *(_fold(h, mu, sd) for h in (head3, head5))))
        history.append({"epoch": epoch + 1, "dev_macro_f1": round(f1, 4),
                        "seconds": round(time.perf_counter() - t0)})
        log(f"epoch {epoch + 1}: dev macro-F1 {f1:.4f}")
        if best is None or f1 > best[0]:
            best = (f1, {k: v.detach().clone() for k, v in (
                [(n + ".A", lo.A) for n, lo in loras.items()]
                + [(n + ".B", lo.B) for n, lo in loras.items()])},
                [t.detach().clone() for t in (head3.weight, head3.bias, head5.weight, head5.bias)])
    # Restore the best epoch, merge it into the model and fold the standardisation into the heads.
    with torch.no_grad():
        for n, lo in loras.items():
            lo.A.copy_(best[1][n + ".A"])
            lo.B.copy_(best[1][n + ".B"])
    adapter = remove_lora(model, loras)
    model.eval()
    w3, b3, w5, b5 = best[2]
    W3, B3 = _fold_wb(w3, b3, mu, sd)
    W5, B5 = _fold_wb(w5, b5, mu, sd)
    return adapter, W3, B3, W5, B5, history


def lower_states(model, ids: list[list[int]], lengths: np.ndarray, first_layer: int, dtype,
                 max_tokens: int = 4096) -> list[torch.Tensor]:
    """Each text's token states entering layer `first_layer` (frozen base layers, eval mode), cut to its
    training length."""
    out: list[torch.Tensor] = [None] * len(ids)
    was_training = model.training
    model.eval()
    order = np.argsort(lengths, kind="stable")
    with torch.inference_mode():
        for rows in token_budget_batches(order, lengths, 64, max_tokens):
            L = int(lengths[rows].max())
            x, m = pad_ids([ids[i] for i in rows], L)
            with torch.autocast("cpu", dtype=dtype, enabled=dtype is not None):
                out_ = model(input_ids=x, attention_mask=m, output_hidden_states=True)
                hs = out_.hidden_states[first_layer]
            for r, i in enumerate(rows):
                out[i] = hs[r, :int(lengths[i])].clone()
    model.train(was_training)
    return out


def _stack(states: list[torch.Tensor], L: int) -> torch.Tensor:
    h = torch.zeros(len(states), L, states[0].shape[1], dtype=states[0].dtype)
    for r, s in enumerate(states):
        h[r, :len(s)] = s
    return h


def upper_layers(model, hidden: torch.Tensor, mask: torch.Tensor, first_layer: int) -> torch.Tensor:
    """Layers first_layer.. of the BertModel on given input states (the model's own attention masks)."""
    am, _ = model._create_attention_masks(attention_mask=mask, encoder_attention_mask=None,
                                          embedding_output=hidden, encoder_hidden_states=None, cache=None)
    for layer in model.encoder.layer[first_layer:]:
        hidden = layer(hidden, am)
    return hidden


def _fold_wb(w, b, mu, sd):
    """Weights of a head reading standardised vectors → weights reading raw vectors (float64 numpy)."""
    w, b = w.detach().numpy().astype(np.float64), b.detach().numpy().astype(np.float64)
    mu_, sd_ = mu.numpy().astype(np.float64), sd.numpy().astype(np.float64)
    return w / sd_, b - (w * mu_ / sd_).sum(1)


def _fold(head: nn.Linear, mu, sd):
    return _fold_wb(head.weight, head.bias, mu, sd)
