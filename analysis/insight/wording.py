"""How findings are written, in Spanish and English: numbers, actions, titles and sentences."""
from __future__ import annotations

import pandas as pd

from analysis.months import month_name

# (action when complaints rise, noun for praise) per attribute, Spanish.
ACTIONS = {
    "dulce": ("reducir el dulzor", "el dulzor"), "salado": ("reducir la sal", "el punto de sal"),
    "picante": ("bajar el picante", "el picante"), "ácido": ("ajustar la acidez", "la acidez"),
    "amargo": ("reducir el amargor", "el amargor"), "sabor": ("revisar la receta", "el sabor"),
    "aroma": ("revisar el aroma", "el aroma"), "textura": ("corregir la textura", "la textura"),
    "frescura": ("revisar la frescura y la rotación", "la frescura"),
    "temperatura": ("revisar la cadena de frío / temperatura de servicio", "la temperatura"),
    "precio": ("revisar el precio", "el precio"),
    "porción": ("revisar el tamaño de la porción", "la porción"),
    "empaque": ("reforzar el empaque", "el empaque"),
    "saludable": ("mejorar el perfil saludable", "lo saludable"),
    "ingredientes": ("revisar los ingredientes", "los ingredientes"),
}


def fmt_pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def fmt_stars(x: float) -> str:
    return f"{x:+.2f}".replace("-", "−")


def _join(items, lang: str = "es") -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + (" y " if lang == "es" else " and ") + items[-1]


def describe(rec: dict, lang: str = "es") -> tuple[str, str]:
    """(title, sentence) of a recommendation, from its numbers only."""
    a, pol, direction = rec["attribute"], rec["polarity"], rec["direction"]
    fix, noun = ACTIONS.get(a, (f"revisar '{a}'", a))
    prods = _join(rec["products"], lang)
    where_ = (_join(rec["regions"], lang) if rec["regions"] else
              ("todas las regiones" if lang == "es" else "all regions"))
    if lang == "es":
        if pol == "negative" and direction == "up":
            title = f"{fix[0].upper() + fix[1:]} en {prods}"
        elif pol == "positive" and direction == "up":
            title = f"Destacar {noun} de {prods}"
        elif pol == "positive" and direction == "down":
            title = f"Reforzar {noun} de {prods}: el elogio se apaga"
        else:
            title = f"Comunicar la mejora en {noun} de {prods}"
        kind = "menciones negativas" if pol == "negative" else "menciones positivas"
        verb = "subieron" if direction == "up" else "bajaron"
        text = (f"{title}: {kind} de '{a}' {verb} de {fmt_pct(rec['rate_before'])} "
                f"a {fmt_pct(rec['rate_after'])} "
                f"en {where_} desde {month_name(rec['start_month'], 'es')}, "
                f"impacto {fmt_stars(rec['impact'])} "
                f"estrellas por comentario que lo menciona ({rec['n_after']:,} comentarios desde entonces).")
    else:
        if pol == "negative" and direction == "up":
            title = f"Fix '{a}' in {prods}"
        elif pol == "positive" and direction == "up":
            title = f"Highlight '{a}' of {prods}"
        elif pol == "positive" and direction == "down":
            title = f"Reinforce '{a}' of {prods}: praise is fading"
        else:
            title = f"Communicate the improvement in '{a}' of {prods}"
        kind = "negative mentions" if pol == "negative" else "positive mentions"
        verb = "rose" if direction == "up" else "fell"
        text = (f"{title}: {kind} of '{a}' {verb} from {fmt_pct(rec['rate_before'])} "
                f"to {fmt_pct(rec['rate_after'])} "
                f"in {where_} since {month_name(rec['start_month'], 'en')}, "
                f"impact {fmt_stars(rec['impact'])} "
                f"stars per comment mentioning it ({rec['n_after']:,} comments since then).")
    return title, text


def market_sentence(items: list[dict], lang: str = "es", min_change_pct: float = 5.0) -> str:
    """'En el mercado, desde entonces: Interés de búsqueda +64.1%, ...' for the metrics that moved."""
    moved = [m for m in items if abs(m["change_pct"]) >= min_change_pct]
    if not moved:
        return ""
    parts = ", ".join(f"{m['metric']} {m['change_pct']:+.1f}%".replace("-", "−") for m in moved)
    return (f"En el mercado, desde entonces: {parts}." if lang == "es"
            else f"In the market since then: {parts}.")


ZONE_LABEL = {"sur": ("el sur", "the south"), "norte": ("el norte", "the north"),
              "centro": ("el centro", "the centre"), "oriente": ("el oriente", "the east"),
              "Lima": ("Lima", "Lima")}


def label_segment(segment_type: str, segment: str, lang: str = "es") -> str:
    if segment_type == "all":
        return "todos" if lang == "es" else "all"
    if segment_type == "zone":
        es, en = ZONE_LABEL.get(segment, (segment, segment))
        return es if lang == "es" else en
    return segment


def headline(row, lang: str = "es") -> str:
    """'picante ↑ en el sur desde marzo 2025' for one result row (dict or Series)."""
    arrow = "↑" if row["direction"] == "up" else "↓"
    pol = {"negative": ("negativo", "negative"), "positive": ("positivo", "positive"),
           "neutral": ("neutro", "neutral")}.get(row["polarity"])
    key = row["key"]
    if row["metric"] == "negative_share":
        key = f"{key} (críticas)" if lang == "es" else f"{key} (complaints)"
    elif pol:
        key = f"{key} {pol[0] if lang == 'es' else pol[1]}"
    where_ = ""
    if row["segment_type"] != "all":
        seg = label_segment(row["segment_type"], row["segment"], lang)
        where_ = f" en {seg}" if lang == "es" else f" in {seg}"
    since = " desde " if lang == "es" else " since "
    return f"{key} {arrow}{where_}{since}{month_name(row['start_month'], lang)}"


# How one trend series is named on the page and in tables: 'picante · elogio · Macrorregión: el sur'.
POLARITY_WORDS = {"positive": ("elogio", "praise"), "negative": ("queja", "complaint"),
                  "neutral": ("neutro", "neutral"), "all": ("cualquier mención", "any mention")}
SEGMENT_TYPE_WORDS = {"all": ("Todos", "All"), "category": ("Categoría", "Category"),
                      "product": ("Producto", "Product"), "region": ("Región", "Region"),
                      "zone": ("Macrorregión", "Macro-region"),
                      "category_region": ("Categoría · región", "Category · region")}


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


def series_label(row, lang: str = "es") -> str:
    """What one series is, in words: key, polarity or measure, and segment."""
    pol = POLARITY_WORDS.get(row["polarity"], (row["polarity"],) * 2)
    what = row["key"] if row["dimension"] != "attribute" else f"{row['key']} · {_pick(pol, lang)}"
    if row["metric"] == "negative_share":
        what = f"{row['key']} · {_pick(('% de quejas', '% complaints'), lang)}"
    if row["segment_type"] == "all":
        return what
    seg = label_segment(row["segment_type"], row["segment"], lang)
    return f"{what} · {_pick(SEGMENT_TYPE_WORDS[row['segment_type']], lang)}: {seg}"


def significance_badge(q: float, status: str, lang: str = "es") -> str:
    if status == "insufficient data":
        return _pick(("datos insuficientes", "insufficient data"), lang)
    if pd.isna(q) or q >= 0.05:
        return _pick(("no significativo", "not significant"), lang)
    return "●●● q<0.001" if q < 0.001 else "●● q<0.01" if q < 0.01 else "● q<0.05"


def shift_table(df: pd.DataFrame, lang: str = "es") -> pd.DataFrame:
    """A result table of the trend engine as people read it: percentages, points, CI and a badge."""
    def t(es: str, en: str) -> str:
        return en if lang == "en" else es

    return pd.DataFrame({
        t("Serie", "Series"): [series_label(r, lang) for r in df.to_dict("records")],
        t("Dirección", "Direction"): df["direction"].map({"up": "↑", "down": "↓", "flat": "="}),
        t("Desde", "Since"): df["start_month"],
        t("Antes %", "Before %"): (df["rate_before"] * 100).round(1),
        t("Después %", "After %"): (df["rate_after"] * 100).round(1),
        t("Efecto (pp)", "Effect (pp)"): (df["effect"] * 100).round(1),
        t("IC 95 % (pp)", "95% CI (pp)"): [f"{lo * 100:+.1f} … {hi * 100:+.1f}" if pd.notna(lo) else ""
                                           for lo, hi in zip(df["ci_low"], df["ci_high"])],
        "p": df["p"], "q": df["q"],
        t("Significancia", "Significance"): [significance_badge(q, s, lang)
                                             for q, s in zip(df["q"], df["status"])],
        t("n antes", "n before"): df["n_before"], t("n después", "n after"): df["n_after"],
    })


# Content findings ("mariscos ↑ desde julio 2024: 5,0 % → 25,0 % de los comentarios"): what people talk
# about more or less. One finding gives an action for product development and one for marketing.
LEVEL_WORDS = {"family": ("familia de alimentos", "food family"),
               "entry": ("plato o alimento", "dish or food"), "topic": ("tema", "topic"),
               "term": ("palabra", "word")}


def content_headline(f: dict, lang: str = "es") -> str:
    arrow = "↑" if f["direction"] == "up" else "↓"
    where_ = ""
    if f.get("segment_type", "all") != "all":
        seg = label_segment(f["segment_type"], f["segment"], lang)
        where_ = f" en {seg}" if lang == "es" else f" in {seg}"
    since = "desde" if lang == "es" else "since"
    of = "de los comentarios" if lang == "es" else "of comments"
    return (f"{f['key']} {arrow}{where_} {since} {month_name(f['start_month'], lang)}: "
            f"{fmt_pct(f['rate_before'])} → {fmt_pct(f['rate_after'])} {of}")


def describe_content(f: dict, audience: str, lang: str = "es", worse: bool = False) -> tuple[str, str]:
    """(title, sentence) of a content recommendation for `audience` ('producto', 'marketing' or
    'riesgo'), from the finding's numbers only. `worse`: it rises while those who mention it rate lower."""
    x, up = f["key"], f["direction"] == "up"
    head = content_headline(f, lang)
    n_after = (f"{int(f['k_after']):,} de {int(f['n_after']):,}" if lang == "es"
               else f"{int(f['k_after']):,} of {int(f['n_after']):,}")
    related = [r for r in f.get("related") or [] if r != x][:4]
    rel = ""
    if related:
        rel = (f" Va de la mano con: {', '.join(related)}." if lang == "es" else
               f" It goes with: {', '.join(related)}.")
    stars = ""
    if f.get("impact") is not None and not pd.isna(f.get("impact")):
        stars = (f" Quienes lo mencionan ponen {fmt_stars(f['impact'])} estrellas frente al resto."
                 if lang == "es" else
                 f" Those who mention it give {fmt_stars(f['impact'])} stars vs the rest.")
    product = audience == "producto"
    if worse:
        if lang == "es":
            title = (f"Corregir {x}: cada vez más comentarios y con peores notas" if product
                     else f"Vigilar {x}: el problema crece")
            act = (f"Lea los comentarios para encontrar qué falla en {x} y corríjalo antes de promocionarlo."
                   if product else "No lo promocione hasta corregirlo; siga su evolución cada mes.")
            return title, f"{head} ({n_after} comentarios desde entonces).{stars} {act}{rel}"
        title = f"Fix {x}: more comments and lower ratings" if product else f"Watch {x}: the problem grows"
        act = (f"Read the comments to find what fails in {x} and fix it before promoting it." if product
               else "Do not promote it until fixed; follow it every month.")
        return title, f"{head} ({n_after} comments since then).{stars} {act}{rel}"
    if lang == "es":
        if up and product:
            title = f"Asegurar la oferta de {x}: cada vez se habla más de ello"
            act = (f"Revise disponibilidad, variedad y calidad de {x} y considere ampliar la línea; "
                   f"lea los comentarios para ver qué piden.")
        elif up:
            title = f"Destacar {x} en la comunicación"
            act = f"Lleve {x} a campañas, menús y redes mientras el interés sube."
        elif product:
            title = f"Revisar {x}: se menciona cada vez menos"
            act = f"Averigüe si cambió la oferta, la calidad o el precio de {x} antes de retirarlo."
        else:
            title = f"Reactivar {x} o dejarlo ir"
            act = (f"Si {x} sigue siendo estratégico, vuelva a ponerlo en la comunicación; "
                   f"si no, redirija el espacio.")
        text = f"{head} ({n_after} comentarios desde entonces).{stars} {act}{rel}"
    else:
        if up and product:
            title = f"Secure the supply of {x}: more and more people talk about it"
            act = f"Check availability, variety and quality of {x} and consider widening the line."
        elif up:
            title = f"Feature {x} in communication"
            act = f"Bring {x} into campaigns, menus and social media while interest rises."
        elif product:
            title = f"Review {x}: it is mentioned less and less"
            act = f"Find out whether the offer, quality or price of {x} changed before dropping it."
        else:
            title = f"Revive {x} or let it go"
            act = f"If {x} is still strategic, put it back into communication; otherwise reuse the space."
        text = f"{head} ({n_after} comments since then).{stars} {act}{rel}"
    return title, text


# Shift alerts (analysis/insight/alerts.py): one sentence with the numbers, a title, and the few words the
# webhook card and the e-mail put around them.
def alert_sentence(row, lang: str = "es") -> str:
    """'empaque negativo ↑ en Galletas de kiwicha desde octubre 2025: 1.7% → 26.5% de los comentarios (44 de
    166 desde entonces; +24.8 pp; q = 3e-39).' for one trend-engine row."""
    es = lang != "en"
    if row["metric"] == "negative_share":
        of = "de sus menciones son quejas" if es else "of its mentions are complaints"
    else:
        of = "de los comentarios" if es else "of comments"
    k, n = int(row["k_after"]), int(row["n_after"])
    count = f"{k:,} de {n:,} desde entonces" if es else f"{k:,} of {n:,} since then"
    pp = f"{100 * float(row['effect']):+.1f} pp".replace("-", "−")
    return (f"{headline(row, lang)}: {fmt_pct(row['rate_before'])} → {fmt_pct(row['rate_after'])} {of} "
            f"({count}; {pp}; q = {float(row['q']):.1g}).")


def alert_title(row, lang: str = "es") -> str:
    return f"Sabor · {'nuevo cambio' if lang != 'en' else 'new shift'}: {headline(row, lang)}"


ALERT_WORDS = {
    "comments": ("Comentarios recientes (datos personales ocultos)",
                 "Recent comments (personal data hidden)"),
    "also": ("También en", "Also in"), "rules": ("Regla", "Rule"), "open": ("Ver en Sabor", "Open in Sabor"),
    "more": ("y {n} más", "and {n} more"),
}


def alert_word(name: str, lang: str = "es") -> str:
    return _pick(ALERT_WORDS[name], lang)


def md_escape(text) -> str:
    """User text (comments, product names) shown as plain text inside Markdown: one line (a line break in
    a comment cannot start a heading or leave a quote), and no link, image, HTML, heading or emphasis."""
    flat = " ".join(str(text).split())
    return "".join("\\" + ch if ch in "\\`*_{}[]()#+-!<>|~$" else ch for ch in flat)


def excerpt(text: str, key: str, width: int = 220) -> str:
    """The part of a long comment around the first word of `key` (accents and case ignored)."""
    import unicodedata

    flat = " ".join(str(text).split())
    if len(flat) <= width:
        return flat

    def fold(s: str) -> str:
        return "".join(c for c in unicodedata.normalize("NFD", s.lower()) if unicodedata.category(c) != "Mn")

    words = [w for w in fold(key).replace("·", " ").split() if len(w) > 2]
    low = fold(flat)
    at = min((i for i in (low.find(w[:5]) for w in words) if i >= 0), default=0)
    start = max(0, min(at - width // 3, len(flat) - width))
    cut = flat[start:start + width]
    if start > 0:
        cut = "…" + cut.split(" ", 1)[-1]
    if start + width < len(flat):
        cut = cut.rsplit(" ", 1)[0] + "…"
    return cut
