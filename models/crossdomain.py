"""Cross-domain runs: leave-one-corpus-out evaluation of a recipe, its one look at the kept-aside quarter,
and the shipped head trained with that recipe on every corpus.

    python -m models.crossdomain loco RUN [--recipe lora|frozen] [--epochs 2] [--max-tokens 128]
                                          [--per-star 300] [--only guiaoleo,restmex]
    python -m models.crossdomain kept RUN          # once, for the recipe finally chosen
    python -m models.crossdomain ship RUN          # train on all corpora, register, write the card

Fold heads and results live outside the repo under `~/.cache/sabor/loco/RUN/` (`SABOR_MODEL_CACHE`); the
shipped head copies the LOCO table into its metadata.json, which the Modelo page and EVALUATION.md read.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import pandas as pd

from models import corpora, loco, recipes
from models import sentiment as sent

TASTE_SET = Path(__file__).resolve().parents[1] / "tests" / "data" / "taste_labels_v2.csv"


def taste_set_rows() -> set[tuple[str, int]]:
    """(corpus, row) of the reviews whose sentences are in the taste label set: never trained on, so the
    polarity measured there is not measured on training text."""
    if not TASTE_SET.is_file():
        return set()
    df = pd.read_csv(TASTE_SET, keep_default_na=False)
    return {(c, int(r)) for c, r in zip(df["corpus"], df["row"])}


def recipe_from_args(args) -> recipes.Recipe:
    if args.recipe == "frozen":
        return recipes.FROZEN
    ft = {"epochs": args.epochs, "max_tokens": args.max_tokens}
    if args.ev_weight:
        ft["ev_weight"] = args.ev_weight
    return recipes.Recipe(name="lora", finetune=ft)


def command(args) -> str:
    parts = ["python -m models.crossdomain", args.cmd, args.run]
    if args.cmd == "loco":
        parts += [f"--recipe {args.recipe}", f"--per-star {args.per_star}"]
        if args.recipe != "frozen":
            parts += [f"--epochs {args.epochs}", f"--max-tokens {args.max_tokens}"]
            if args.ev_weight:
                parts.append(f"--ev-weight {args.ev_weight:g}")
    return " ".join(parts)


def taste_figures(head: sent.SentimentHead, log=print) -> dict:
    """Taste attributes of the v2 label set through the product's Analyzer with `head`: the unseen half (the
    figure) and the development half."""
    from models.taste_eval import evaluate

    df = pd.read_csv(TASTE_SET, keep_default_na=False)
    an = sent.Analyzer(head)
    out = evaluate(df[df["half"] == "unseen"], an)
    out["dev"] = evaluate(df[df["half"] == "dev"], an)
    out["note"] = (f"{out['sentences']} hand-labelled sentences (Guía Óleo, Domicilios, SemEval-2016, "
                   "Amazon) labelled before any detector output on them was seen, measured once after the "
                   "lexicon froze (tests/data/README.md); polarity through this head's clause vectors and "
                   f"the lexical cues. The development half ({out['dev']['sentences']} sentences): precision "
                   f"{out['dev']['micro']['precision']:.3f}, recall {out['dev']['micro']['recall']:.3f}, "
                   f"polarity {out['dev']['micro']['polarity']:.3f}.")
    log(f"taste, unseen half: {out['micro']}")
    return out


def kept_confusion(head: sent.SentimentHead, data: dict) -> dict:
    """Sentiment confusion counts of `head` on the balanced kept quarters of every rated Spanish corpus
    pooled (in domain): where its errors are, for the Modelo page."""
    from sklearn.metrics import confusion_matrix

    from models.heads import CLASSES

    t = pd.concat([loco.test_sets(data[c], "kept")["balanced"] for c in corpora.RATED_ES], ignore_index=True)
    pred = head.predict(recipes.vectors(head, t["text"].tolist()))
    return {"labels": list(CLASSES), "n": int(len(t)),
            "matrix": confusion_matrix(t["cls"], pred.sentiment, labels=list(CLASSES)).tolist()}


def ship(run_id: str, log=print, registry: Path | None = None) -> dict:
    """Train the run's recipe on quarters 0–2 of every corpus, pick its cuts on development rows of those,
    measure it in domain on the kept quarters, register it with the LOCO table of `run_id`."""
    from models.train import new_version

    res = json.loads((recipes.loco_dir() / run_id / "results.json").read_text())
    recipe = recipes.Recipe(**res["recipe"])
    per_star = res["train_per_star"]
    data = corpora.load_all()
    exclude = taste_set_rows()
    train = loco.training_rows(data, None, per_star, exclude=exclude)
    fit_rows, dev_rows = loco.split_dev(train, 0.15, 13)
    version = new_version("e5small-lora-ordinal" if recipe.finetune else "e5small-ordinal")
    log(f"shipping {version}: {len(fit_rows)} training rows, {len(dev_rows)} development rows")
    head, info = recipes.fit(recipe, fit_rows, dev_rows, version, log=log)
    in_domain = {c: recipes.score_head(head, loco.test_sets(data[c], "kept")) for c in corpora.RATED_ES}
    confusion = kept_confusion(head, data)
    meta = {
        "version": version, "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "encoder": info.get("encoder"), "head": recipes.ORDINAL_DESCRIPTION, "recipe": recipe.describe(),
        "finetune": info.get("finetune") and {**info["finetune"], "method": "LoRA",
                                              "finetune_rows": info["train_rows"],
                                              "dev_rows": info["decisions"]["dev_rows"],
                                              "history": info.get("history"),
                                              "compute_dtype": info.get("compute_dtype")},
        "decisions": info["decisions"], "seconds": info["seconds"],
        "data": {"corpora": {c: corpora.NAMES[c] for c in corpora.ALL},
                 "scales": corpora.SCALE_NOTES, "classes": corpora.CLASS_RULE,
                 "rows_by_corpus": info["train_rows_by_corpus"],
                 "note": (f"Up to {per_star} reviews per star (per class for SemEval) from quarters 0–2 "
                          "of each corpus, 15 % of them kept for the decisions; reviews whose sentences are "
                          "in the taste label set left out; licences are research-only: only weights and "
                          "figures ship.")},
        "cross_domain": {"run": run_id, "command": res.get("command"), "per_star": per_star,
                         "folds": {c: {k: v for k, v in r.items() if k in ("dev", "kept")}
                                   for c, r in res["folds"].items()},
                         "summary_dev": res.get("summary_dev"), "summary_kept": res.get("summary_kept")},
        "in_domain_kept": {"note": ("Same corpora as training, its kept-aside quarter (never trained or "
                                    "tuned on): in-domain figures, not cross-domain."),
                           "corpora": in_domain, "summary": loco.summary(in_domain), "confusion": confusion},
    }
    meta["taste_eval"] = taste_figures(head, log)
    d = (registry or sent.registry_dir()) / version
    head.meta = meta
    head.save(d, meta)
    log(f"registered {d}")
    return meta


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("cmd", choices=("loco", "kept", "ship"))
    ap.add_argument("run", help="run id (directory under ~/.cache/sabor/loco/)")
    ap.add_argument("--recipe", choices=("lora", "frozen"), default="lora")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--max-tokens", type=int, default=128)
    ap.add_argument("--ev-weight", type=float, default=0.0)
    ap.add_argument("--per-star", type=int, default=300)
    ap.add_argument("--only", default=None, help="comma-separated corpora to leave out (default: all five)")
    args = ap.parse_args(argv)
    log = lambda *a: print(*a, flush=True)
    if args.cmd == "loco":
        data = corpora.load_all()
        res = recipes.run_loco(recipe_from_args(args), data, args.run, train_per_star=args.per_star,
                               test_corpora=args.only.split(",") if args.only else None,
                               log=log, command=command(args))
        print(json.dumps(res["summary_dev"], indent=1))
    elif args.cmd == "kept":
        res = recipes.score_kept(args.run, corpora.load_all(), log=log)
        print(json.dumps(res["summary_kept"], indent=1))
    else:
        meta = ship(args.run, log=log)
        from models.model_card import write_evaluation

        write_evaluation(meta)
        print(json.dumps(meta["in_domain_kept"]["summary"], indent=1))


if __name__ == "__main__":
    main()
