"""The answer in a sentence, in the question's language, with every figure taken from the result rows;
suggestions and the polite refusal."""
from __future__ import annotations

from analysis.ask.answer import fmt_number
from analysis.ask.facts import Facts
from analysis.ask.intent import CannotParse, Intent
from analysis.months import month_abbr
from models.taxonomy import ATTRIBUTE_EN

CANNOT_ES = "No puedo responder esa pregunta todavía."


CANNOT_EN = "I can't answer that question yet."




_DIM_ES = {"product": ("producto", "productos"), "region": ("región", "regiones"),
           "channel": ("canal", "canales"),
           "attribute": ("atributo", "atributos"), "category": ("categoría", "categorías"),
           "brand": ("marca", "marcas"), "month": ("mes", "meses")}


_DIM_EN = {"product": ("product", "products"), "region": ("region", "regions"),
           "channel": ("channel", "channels"),
           "attribute": ("attribute", "attributes"), "category": ("category", "categories"),
           "brand": ("brand", "brands"), "month": ("month", "months")}


def _subject_text(it: Intent, lang: str) -> str:
    en = lang == "en"
    if it.attribute:
        a = ATTRIBUTE_EN[it.attribute] if en else it.attribute
        if it.polarity == "negative":
            return f"complaints about {a}" if en else f"quejas sobre {a}"
        if it.polarity == "positive":
            return f"positive mentions of {a}" if en else f"elogios sobre {a}"
        if it.polarity == "neutral":
            return f"neutral mentions of {a}" if en else f"menciones neutras de {a}"
        return f"comments mentioning {a}" if en else f"comentarios que mencionan {a}"
    if it.sentiment and it.group == "attribute":
        return {"negative": ("complaints", "quejas"), "positive": ("positive mentions", "elogios"),
                "neutral": ("neutral mentions", "menciones neutras")}[it.sentiment][0 if en else 1]
    if it.sentiment:
        s = {"negative": ("negativos", "negative"), "positive": ("positivos", "positive"),
             "neutral": ("neutros", "neutral")}[it.sentiment]
        return f"{s[1]} comments" if en else f"comentarios {s[0]}"
    if it.group == "attribute":
        return "mentions" if en else "menciones"
    return "comments" if en else "comentarios"


def _filters_text(it: Intent, lang: str) -> str:
    en = lang == "en"
    parts = []
    if it.product:
        parts.append(f"for {it.product}" if en else f"de {it.product}")
    if it.region:
        parts.append(f"in {it.region}" if en else f"en {it.region}")
    if it.channel:
        parts.append(f"via {it.channel}" if en else f"por el canal {it.channel}")
    if it.category:
        parts.append(f"in category {it.category}" if en else f"de la categoría {it.category}")
    lab = it.date_label_en if en else it.date_label_es
    if lab:
        parts.append(lab)
    return (" " + " ".join(parts)) if parts else ""


def sentence(it: Intent, columns: list[str], rows: list[list], lang: str) -> str:
    en = lang == "en"
    subj = _subject_text(it, lang)
    flt = _filters_text(it, lang)
    pct = it.metric == "share"
    what = ""
    if it.metric == "avg_rating":
        what = "the average rating" if en else "la calificación promedio"
        if it.attribute or it.sentiment:
            # "quejas" is feminine, every other subject ("comentarios", "elogios", "menciones"→las) masculine
            art = "las" if subj.startswith(("quejas", "menciones")) else "los"
            what += f" of {subj}" if en else f" de {art} {subj}"
    if not rows or all(v is None for r in rows for v in r[-1:]):
        return (f"There is no data{flt} for this question." if en
                else f"No hay datos{flt} para esta pregunta.")
    if it.metric == "distinct":
        v = rows[0][0]
        dims = _DIM_EN[it.group] if en else _DIM_ES[it.group]
        if it.attribute or it.sentiment:
            return (f"{fmt_number(v)} {dims[1]} have {subj}{flt}." if en
                    else f"{fmt_number(v)} {dims[1]} tienen {subj}{flt}.")
        return (f"There are {fmt_number(v)} {dims[1]} in the data{flt}." if en
                else f"Hay {fmt_number(v)} {dims[1]} en los datos{flt}.")
    if not it.group:
        v = rows[0][0]
        if it.metric == "count":
            return (f"There were {fmt_number(v)} {subj}{flt}." if en
                    else f"Hubo {fmt_number(v)} {subj}{flt}.")
        if it.metric == "avg_rating":
            return (f"{what.capitalize()}{flt} was {fmt_number(v)} out of 5." if en
                    else f"{what.capitalize()}{flt} fue {fmt_number(v)} de 5.")
        if it.share_of_mentions:
            pol = {"negative": ("negative", "negativos"), "positive": ("positive", "positivos"),
                   "neutral": ("neutral", "neutros")}[it.polarity]
            a = ATTRIBUTE_EN[it.attribute] if en else it.attribute
            return (f"{fmt_number(v, True)} of the comments mentioning {a}{flt} were {pol[0]}." if en
                    else f"El {fmt_number(v, True)} de los comentarios que mencionan {a}{flt} son {pol[1]}.")
        a = (ATTRIBUTE_EN[it.attribute] if en else it.attribute) if it.attribute else ""
        verb_en = {"negative": f"complain about {a}", "positive": f"praise the {a}",
                   "neutral": f"mention {a} neutrally", None: f"mention {a}"}
        verb_es = {"negative": f"se quejan de {a}", "positive": f"elogian {a}",
                   "neutral": f"mencionan {a} de forma neutra", None: f"mencionan {a}"}
        sent_en = {"negative": "negative", "positive": "positive", "neutral": "neutral"}
        sent_es = {"negative": "negativos", "positive": "positivos", "neutral": "neutros"}
        if en:
            tail = verb_en[it.polarity] if it.attribute else f"are {sent_en[it.sentiment]}"
            return f"{fmt_number(v, True)} of comments{flt} {tail}."
        tail = verb_es[it.polarity] if it.attribute else f"son {sent_es[it.sentiment]}"
        return f"El {fmt_number(v, True)} de los comentarios{flt} {tail}."
    measure = ({"count": subj, "avg_rating": ("average rating" if en else "calificación promedio"),
                "share": (f"share of {subj}" if en else f"porcentaje de {subj}")}[it.metric])
    if it.group == "month":
        first, last = rows[0], rows[-1]
        return (f"{measure.capitalize()}{flt} by month: "
                f"{fmt_number(first[1], pct)} in {month_abbr(first[0], 'en')} "
                f"→ {fmt_number(last[1], pct)} in {month_abbr(last[0], 'en')} ({len(rows)} months)." if en
                else f"{measure.capitalize()}{flt} por mes: "
                f"{fmt_number(first[1], pct)} en {month_abbr(first[0], 'es')} "
                f"→ {fmt_number(last[1], pct)} en {month_abbr(last[0], 'es')} ({len(rows)} meses).")
    dims = _DIM_EN[it.group] if en else _DIM_ES[it.group]
    label = (lambda r: ATTRIBUTE_EN.get(r[0], r[0]) if en and it.group == "attribute" else str(r[0]))
    if it.order and it.top_n == 1:
        r = rows[0]
        if en:
            sup = "most" if it.order == "desc" else "fewest"
            if it.metric != "count":
                sup = "highest" if it.order == "desc" else "lowest"
            return f"{label(r)} is the {dims[0]} with the {sup} {measure}{flt} ({fmt_number(r[1], pct)})."
        sup = "más" if it.order == "desc" else "menos"
        if it.metric != "count":
            sup = "mayor" if it.order == "desc" else "menor"
        art = "la" if it.group in ("region", "category", "brand") else "el"
        return f"{label(r)} es {art} {dims[0]} con {sup} {measure}{flt} ({fmt_number(r[1], pct)})."
    listed = ", ".join(f"{label(r)} ({fmt_number(r[1], pct)})" for r in rows[:5])
    more = "" if len(rows) <= 5 else (f" and {len(rows) - 5} more" if en else f" y {len(rows) - 5} más")
    if it.order:
        return (f"Top {len(rows)} {dims[1]} by {measure}{flt}: {listed}." if en
                else f"{'Las' if it.group in ('region', 'category', 'brand') else 'Los'} "
                f"{len(rows)} {dims[1]} con "
                f"{('más' if it.order == 'desc' else 'menos') if it.metric == 'count' else ('mayor' if it.order == 'desc' else 'menor')} "  # noqa: E501
                f"{measure}{flt}: {listed}.")
    return (f"{measure.capitalize()}{flt} by {dims[0]}: {listed}{more}." if en
            else f"{measure.capitalize()}{flt} por {dims[0]}: {listed}{more}.")


# -- suggestions ------------------------------------------------------------------------------------
def suggestions(facts: Facts, lang: str) -> list[str]:
    region = facts.regions[0] if facts.regions else "Lima"
    product = facts.products[0] if facts.products else "chicha morada"
    year = facts.max_date.year if facts.max_date else 2025
    if lang == "en":
        return [f"What was the average rating in {region} in {year}?",
                "Which product had the most complaints about packaging last quarter?",
                "Which region mentions spicy flavours most since June?",
                f"How many complaints about price did {product} get in {year}?",
                "What percentage of comments are negative by channel?",
                f"Monthly trend of the average rating in {year}"]
    return [f"¿Cuál fue la calificación promedio en {region} en {year}?",
            "¿Qué producto tuvo más quejas por empaque el último trimestre?",
            "¿Qué región menciona más el sabor picante desde junio?",
            f"¿Cuántas quejas sobre el precio tuvo {product} en {year}?",
            "¿Qué porcentaje de comentarios son negativos por canal?",
            f"¿Cómo evolucionó la calificación promedio por mes en {year}?"]


def cannot_answer_text(exc: CannotParse, facts: Facts, lang: str) -> str:
    sugg = suggestions(facts, lang)[:4]
    if lang == "en":
        extra = f" I don't know the words: {', '.join(exc.unknown[:5])}." if exc.unknown else ""
        return f"{CANNOT_EN}{extra} Try, for example: " + " · ".join(sugg)
    extra = f" No reconozco: {', '.join(exc.unknown[:5])}." if exc.unknown else ""
    return f"{CANNOT_ES}{extra} Prueba, por ejemplo: " + " · ".join(sugg)
