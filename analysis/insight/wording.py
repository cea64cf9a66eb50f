"""How findings are written, in Spanish and English: numbers, actions, titles and sentences."""
from __future__ import annotations

from analysis.months import month_name

# (action when complaints rise, noun for praise) per attribute, Spanish.
ACTIONS = {
    "dulce": ("reducir el dulzor", "el dulzor"), "salado": ("reducir la sal", "el punto de sal"),
    "picante": ("bajar el picante", "el picante"), "ácido": ("ajustar la acidez", "la acidez"),
    "amargo": ("reducir el amargor", "el amargor"), "sabor": ("revisar la receta", "el sabor"),
    "aroma": ("revisar el aroma", "el aroma"), "textura": ("corregir la textura", "la textura"),
    "frescura": ("revisar la frescura y la rotación", "la frescura"),
    "temperatura": ("revisar la cadena de frío / temperatura de servicio", "la temperatura"),
    "precio": ("revisar el precio", "el precio"), "porción": ("revisar el tamaño de la porción", "la porción"),
    "empaque": ("reforzar el empaque", "el empaque"), "saludable": ("mejorar el perfil saludable", "lo saludable"),
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
        text = (f"{title}: {kind} de '{a}' {verb} de {fmt_pct(rec['rate_before'])} a {fmt_pct(rec['rate_after'])} "
                f"en {where_} desde {month_name(rec['start_month'], 'es')}, impacto {fmt_stars(rec['impact'])} "
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
        text = (f"{title}: {kind} of '{a}' {verb} from {fmt_pct(rec['rate_before'])} to {fmt_pct(rec['rate_after'])} "
                f"in {where_} since {month_name(rec['start_month'], 'en')}, impact {fmt_stars(rec['impact'])} "
                f"stars per comment mentioning it ({rec['n_after']:,} comments since then).")
    return title, text


def market_sentence(items: list[dict], lang: str = "es", min_change_pct: float = 5.0) -> str:
    """'En el mercado, desde entonces: Interés de búsqueda +64.1%, ...' for the metrics that moved."""
    moved = [m for m in items if abs(m["change_pct"]) >= min_change_pct]
    if not moved:
        return ""
    parts = ", ".join(f"{m['metric']} {m['change_pct']:+.1f}%".replace("-", "−") for m in moved)
    return (f"En el mercado, desde entonces: {parts}." if lang == "es" else f"In the market since then: {parts}.")
