"""Executive summary of the insights: an LLM writes it from the computed facts only, or a template does.

The facts go to the model as structured JSON (numbers already formatted as the report shows them); no
comment text is sent, and every string of the facts (product, region, channel names, titles) is redacted
first (analysis.privacy): a product or channel named with a phone number or an e-mail does not leave.
The reply is accepted only if every number in it appears in the facts — a model that invents or recomputes
a figure is rejected and the template summary is used instead. With no OPENAI_API_KEY the template is
used directly.
"""
from __future__ import annotations

import json
import re

import pandas as pd

from analysis.insight.wording import fmt_pct, fmt_stars
from analysis.months import month_name

AUDIENCE_LABEL = {"producto": ("Desarrollo de producto", "Product development"),
                  "marketing": ("Marketing", "Marketing"), "riesgo": ("Riesgos", "Risks")}
_NUM_RE = re.compile(r"(?<![\w.])[-−+]?\d+(?:[.,]\d+)*")


def build_facts(recs: pd.DataFrame, drivers: pd.DataFrame | None = None, n_comments: int = 0,
                first_date=None, last_date=None, top: int = 5) -> dict:
    """The facts a summary may use, numbers pre-formatted exactly as the report prints them."""
    items = []
    # A content finding gives two actions (product, marketing): the summary states the finding once.
    kind = recs["kind"] if "kind" in recs else pd.Series("taste", index=recs.index)
    once = recs.assign(_kind=kind).drop_duplicates(["_kind", "attribute", "polarity", "direction",
                                                    "start_month"])
    for r in once.head(top).to_dict("records"):
        items.append({
            "rank": int(r["rank"]), "kind": r["_kind"], "audience": r["audience"], "title": r["title"],
            "attribute": r["attribute"], "polarity": r["polarity"], "direction": r["direction"],
            "products": list(r["products"]),
            "regions": list(r["regions"]) if r["regions"] else "todas las regiones",
            "since": month_name(r["start_month"], "es"), "rate_before": fmt_pct(r["rate_before"]),
            "rate_after": fmt_pct(r["rate_after"]), "impact_stars": fmt_stars(r["impact"]),
            "comments_since": f"{int(r['n_after']):,}", "confidence": r["confidence"]})
        if r["_kind"] == "content":
            items[-1]["headline"] = r["headline"]
    facts = {"comments": f"{int(n_comments):,}", "period": [str(first_date or ""), str(last_date or "")],
             "recommendations_total": len(recs), "recommendations": items}
    if drivers is not None and len(drivers):
        d = drivers[drivers["significant"]] if "significant" in drivers else drivers
        if len(d):
            worst, best = d.iloc[0], d.iloc[-1]
            facts["hurts_most"] = {"attribute": worst["attribute"], "polarity": worst["polarity"],
                                   "impact_stars": fmt_stars(worst["impact"])}
            facts["delights_most"] = {"attribute": best["attribute"], "polarity": best["polarity"],
                                      "impact_stars": fmt_stars(best["impact"])}
    return facts


def _norm(tok: str) -> str:
    t = tok.replace("−", "-").lstrip("+")
    if re.fullmatch(r"-?\d{1,3}(,\d{3})+", t):        # 1,304 thousands
        t = t.replace(",", "")
    t = t.replace(",", ".")
    try:
        return repr(float(t)).rstrip("0").rstrip(".") if "." in t else str(int(t))
    except ValueError:
        return t


def numbers_in(text: str) -> set[str]:
    """Every number in a text, normalised (1,304 -> 1304; 18,1 -> 18.1; −0.40 -> -0.4)."""
    out = set()
    for tok in _NUM_RE.findall(text):
        n = _norm(tok)
        out.add(n)
        out.add(n.lstrip("-"))
    return out


def allowed_numbers(facts: dict) -> set[str]:
    text = json.dumps(facts, ensure_ascii=False)
    allowed = numbers_in(text)
    for ym in re.findall(r"\b(\d{4})-(\d{2})", text):          # dates: their year and month
        allowed |= {ym[0], str(int(ym[1]))}
    return allowed


def unsupported_numbers(summary: str, facts: dict) -> set[str]:
    """Numbers in the summary that the facts do not contain (sign-insensitive: 'bajó 0.4' is fine)."""
    allowed = allowed_numbers(facts)
    return {n for n in numbers_in(summary) if n not in allowed and n.lstrip("-") not in allowed}


def template_summary(facts: dict, lang: str = "es") -> str:
    recs = facts["recommendations"]
    if lang == "es":
        head = f"Se analizaron {facts['comments']} comentarios."
        if not recs:
            return head + " No hay cambios significativos en el tiempo que justifiquen una recomendación."
        lines = [head + f" Hallazgos principales ({len(recs)}):"]
        for r in recs:
            if r.get("kind") == "content":
                lines.append(f"- {r['headline']} ({r['comments_since']} comentarios desde entonces; "
                             f"confianza {r['confidence']}). {r['title']}.")
                continue
            where_ = r["regions"] if isinstance(r["regions"], str) else ", ".join(r["regions"])
            verb = "subieron" if r["direction"] == "up" else "bajaron"
            kind = "quejas" if r["polarity"] == "negative" else "elogios"
            lines.append(f"- [{AUDIENCE_LABEL[r['audience']][0]}] {r['title']}: {kind} de '{r['attribute']}' "
                         f"{verb} de {r['rate_before']} a {r['rate_after']} en {where_} desde {r['since']} "
                         f"(impacto {r['impact_stars']} estrellas; confianza {r['confidence']}).")
        return "\n".join(lines)
    head = f"{facts['comments']} comments analysed."
    if not recs:
        return head + " No significant change over time calls for a recommendation."
    lines = [head + f" Main findings ({len(recs)}):"]
    for r in recs:
        if r.get("kind") == "content":
            lines.append(f"- {r['headline']} ({r['comments_since']} comments since; confidence "
                         f"{r['confidence']}). {r['title']}.")
            continue
        where_ = r["regions"] if isinstance(r["regions"], str) else ", ".join(r["regions"])
        verb = "rose" if r["direction"] == "up" else "fell"
        kind = "complaints" if r["polarity"] == "negative" else "praise"
        lines.append(f"- [{AUDIENCE_LABEL[r['audience']][1]}] {r['title']}: "
                     f"{kind} about '{r['attribute']}' {verb} "
                     f"from {r['rate_before']} to {r['rate_after']} in {where_} since {r['since']} "
                     f"(impact {r['impact_stars']} stars; confidence {r['confidence']}).")
    return "\n".join(lines)


SYSTEM = ("Eres analista de consumo. Escribe un resumen ejecutivo breve (máximo 120 palabras, en {lang}) "
          "para gerentes de producto y marketing, usando SOLO los hechos del JSON. No calcules ni inventes "
          "cifras: cada número que escribas debe aparecer tal cual en el JSON. Sin listas largas ni saludos.")


def executive_summary(facts: dict, lang: str = "es") -> dict:
    """{'text', 'source': 'llm'|'template', 'reason'}; reason says why the template was used."""
    from analysis.privacy import redact_obj
    from models.llm import LLMClient, LLMConfig, LLMError

    config = LLMConfig.from_env()
    if config is None:
        return {"text": template_summary(facts, lang), "source": "template", "reason": "no_api_key"}
    sent = redact_obj(facts)
    messages = [{"role": "system", "content": SYSTEM.format(lang="español" if lang == "es" else "English")},
                {"role": "user", "content": json.dumps(sent, ensure_ascii=False)}]
    try:
        reply = LLMClient(config).chat(messages, temperature=0.0, max_tokens=400)
    except LLMError as e:
        return {"text": template_summary(facts, lang), "source": "template",
                "reason": f"llm_error:{e.reason}"}
    text = (reply.text or "").strip()
    bad = unsupported_numbers(text, sent)
    if not text or bad:
        return {"text": template_summary(facts, lang), "source": "template",
                "reason": "empty" if not text else "unsupported_numbers:" + ",".join(sorted(bad))}
    return {"text": text, "source": "llm", "reason": ""}
