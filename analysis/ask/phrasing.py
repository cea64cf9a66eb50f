"""The answer in a sentence, in the question's language, with every figure taken from the result rows;
suggestions and the polite refusal."""
from __future__ import annotations

from analysis.ask.answer import fmt_number
from analysis.ask.facts import Facts
from analysis.ask.foods import DRINK_FAMILIES, FOOD_KINDS, family_en
from analysis.ask.intent import CannotParse, Filters, Intent
from analysis.months import month_abbr
from models.taxonomy import ATTRIBUTE_EN

CANNOT_ES = "No puedo responder esa pregunta todavía."


CANNOT_EN = "I can't answer that question yet."




_DIM_ES = {"product": ("producto", "productos"), "region": ("región", "regiones"),
           "channel": ("canal", "canales"), "attribute": ("atributo", "atributos"),
           "category": ("categoría", "categorías"), "brand": ("marca", "marcas"), "month": ("mes", "meses"),
           "quarter": ("trimestre", "trimestres"), "year": ("año", "años"), "topic": ("tema", "temas"),
           "lang": ("idioma", "idiomas"), "rating": ("calificación", "calificaciones"),
           "food": ("alimento", "alimentos"),
           "food_family": ("familia de alimentos", "familias de alimentos")}


_DIM_EN = {"product": ("product", "products"), "region": ("region", "regions"),
           "channel": ("channel", "channels"), "attribute": ("attribute", "attributes"),
           "category": ("category", "categories"), "brand": ("brand", "brands"), "month": ("month", "months"),
           "quarter": ("quarter", "quarters"), "year": ("year", "years"), "topic": ("topic", "topics"),
           "lang": ("language", "languages"), "rating": ("rating", "ratings"), "food": ("food", "foods"),
           "food_family": ("food family", "food families")}
_FEMININE = ("region", "category", "brand", "rating", "food_family")
# The question's own word for a dimension, when it is not the column's name: (singular, plural, feminine).
_DIM_WORDS = {
    "lugar": ("lugar", "lugares", False), "sitio": ("sitio", "sitios", False),
    "restaurante": ("restaurante", "restaurantes", False), "hotel": ("hotel", "hoteles", False),
    "atraccion": ("atracción", "atracciones", True),
    "establecimiento": ("establecimiento", "establecimientos", False),
    "destino": ("destino", "destinos", False), "tienda": ("tienda", "tiendas", True),
    "pais": ("país", "países", False), "ciudad": ("ciudad", "ciudades", True),
    "departamento": ("departamento", "departamentos", False), "provincia": ("provincia", "provincias", True),
    "zona": ("zona", "zonas", True), "estado": ("estado", "estados", False),
    "place": ("place", "places", False), "site": ("site", "sites", False),
    "restaurant": ("restaurant", "restaurants", False), "attraction": ("attraction", "attractions", False),
    "destination": ("destination", "destinations", False), "store": ("store", "stores", False),
    "country": ("country", "countries", False), "city": ("city", "cities", False),
    "state": ("state", "states", False), "location": ("location", "locations", False),
    "item": ("item", "items", False), "department": ("department", "departments", False),
    "province": ("province", "provinces", False), "zone": ("zone", "zones", False),
    "plato": ("plato", "platos", False), "platillo": ("platillo", "platillos", False),
    "comida": ("comida", "comidas", True), "bebida": ("bebida", "bebidas", True),
    "postre": ("postre", "postres", False), "dish": ("dish", "dishes", False),
    "drink": ("drink", "drinks", False), "dessert": ("dessert", "desserts", False),
}
_EN_DIM_WORDS = {"place", "site", "restaurant", "attraction", "destination", "store", "country", "city",
                 "state", "location", "item", "department", "province", "zone", "dish", "drink", "dessert"}
_PLURAL_OF = {"lugares": "lugar", "sitios": "sitio", "restaurantes": "restaurante", "hoteles": "hotel",
              "atracciones": "atraccion", "establecimientos": "establecimiento", "destinos": "destino",
              "tiendas": "tienda", "paises": "pais", "ciudades": "ciudad", "departamentos": "departamento",
              "provincias": "provincia", "zonas": "zona", "estados": "estado", "places": "place",
              "sites": "site", "restaurants": "restaurant", "attractions": "attraction",
              "destinations": "destination", "stores": "store", "countries": "country", "cities": "city",
              "states": "state", "locations": "location", "items": "item", "departments": "department",
              "provinces": "province", "zones": "zone", "hotels": "hotel", "platos": "plato",
              "platillos": "platillo", "comidas": "comida", "bebidas": "bebida", "postres": "postre",
              "dishes": "dish", "drinks": "drink", "desserts": "dessert"}


def _dims(it: Intent, dim: str, en: bool) -> tuple[str, str, bool]:
    """(singular, plural, feminine) for a dimension, in the question's own word when it used a synonym."""
    w = _PLURAL_OF.get(it.dim_word or "", it.dim_word or "")
    if w in _DIM_WORDS and (w in _EN_DIM_WORDS) == en or w == "hotel":
        return _DIM_WORDS[w]
    d = (_DIM_EN if en else _DIM_ES).get(dim, (dim, dim))
    return d[0], d[1], dim in _FEMININE
_SENT = {"negative": ("negativos", "negative"), "positive": ("positivos", "positive"),
         "neutral": ("neutros", "neutral")}
_SENT_F = {"negative": "negativas", "positive": "positivas", "neutral": "neutras"}   # menciones, quejas
_LANG_NAME = {"es": ("español", "Spanish"), "en": ("inglés", "English")}


def _join(vals: list[str], en: bool, conj: str | None = None) -> str:
    vals = [str(v) for v in vals]
    c = conj or ("or" if en else "o")
    return vals[0] if len(vals) == 1 else f"{', '.join(vals[:-1])} {c} {vals[-1]}"


def _stars(ivs: list[dict], en: bool) -> str:
    def n(v):
        return str(int(v)) if float(v).is_integer() else str(v)
    eqs = [iv for iv in ivs if iv.get("lo") is not None and iv.get("lo") == iv.get("hi")]
    if len(eqs) == len(ivs):
        vals = [n(iv["lo"]) for iv in eqs]
        one = len(vals) == 1 and vals[0] == "1"
        return (f"with {_join(vals, True)} star{'' if one else 's'}" if en
                else f"con {_join(vals, False)} estrella{'' if one else 's'}")
    iv = ivs[0]
    lo, hi = iv.get("lo"), iv.get("hi")
    if lo is not None and hi is not None:
        return f"rated between {n(lo)} and {n(hi)}" if en else f"con entre {n(lo)} y {n(hi)} estrellas"
    if lo is not None:
        if iv.get("lo_inc", True):
            return f"rated {n(lo)} or more" if en else f"con {n(lo)} estrellas o más"
        return f"rated above {n(lo)}" if en else f"con más de {n(lo)} estrellas"
    if iv.get("hi_inc", True):
        return f"rated {n(hi)} or less" if en else f"con {n(hi)} estrellas o menos"
    return f"rated below {n(hi)}" if en else f"con menos de {n(hi)} estrellas"


def _mention_name(m: dict, en: bool) -> str:
    """What a mention filter names: an attribute, a food, a family, several (OR) or any food."""
    v, kind = m.get("value"), m.get("kind", "attribute")
    if kind == "attribute":
        return ATTRIBUTE_EN.get(v, v) if en else v
    if v is None:
        return "food" if en else "alimentos"
    vs = [v] if isinstance(v, str) else list(v)
    if kind == "food_family":
        if set(vs) == set(DRINK_FAMILIES):
            return "drinks" if en else "bebidas"
        vs = [family_en(x) for x in vs] if en else vs
    return _join(vs, en)


def _mention_noun(m: dict, en: bool) -> str:
    pol = m.get("polarity")
    if m.get("value") is None and m.get("kind", "attribute") == "attribute":
        # any mention of that polarity: "complaints", "elogios"
        return {"negative": ("complaints", "quejas"), "positive": ("positive mentions", "elogios"),
                "neutral": ("neutral mentions", "menciones neutras"), None: ("mentions", "menciones")}[pol][
            0 if en else 1]
    a = _mention_name(m, en)
    if pol == "negative":
        return f"complaints about {a}" if en else f"quejas sobre {a}"
    if pol == "positive":
        return f"positive mentions of {a}" if en else f"elogios sobre {a}"
    if pol == "neutral":
        return f"neutral mentions of {a}" if en else f"menciones neutras de {a}"
    return f"comments mentioning {a}" if en else f"comentarios que mencionan {a}"


def _qualifiers(f: Filters | None, en: bool, skip_mention: bool = False) -> list[str]:
    if f is None:
        return []
    q = []
    if f.sentiment:
        q.append(_join([_SENT[s][1 if en else 0] for s in f.sentiment], en))
    if f.rating:
        q.append(_stars(f.rating, en))
    if f.mentions and not skip_mention:
        q += [("that mention " if en else "que mencionan ") + _mention_name(m, en) for m in f.mentions]
    if f.words:
        w = _join([f"«{x}»" for x in f.words], en)
        q.append(f"containing {w}" if en else f"que contienen {w}")
    if f.length:
        unit = ("characters" if en else "caracteres") if f.length["unit"] == "chars" else (
            "words" if en else "palabras")
        more = f.length["op"] == "gt"
        q.append((f"longer than {f.length['n']} {unit}" if more else f"shorter than {f.length['n']} {unit}")
                 if en else f"de {'más' if more else 'menos'} de {f.length['n']} {unit}")
    return q


def _rows_text(f: Filters | None, en: bool) -> str:
    """The rows counted: 'comentarios negativos con 1 o 2 estrellas', 'quejas sobre precio'."""
    mentions = f.mentions if f else []
    if len(mentions) == 1:
        head = _mention_noun(mentions[0], en)
        rest = _qualifiers(f, en, skip_mention=True)
        if en and f.sentiment:
            return f"{_join([_SENT[s][1] for s in f.sentiment], en)} {head}" + "".join(
                " " + x for x in rest[1:])
        return head + "".join(" " + x for x in rest)
    q = _qualifiers(f, en)
    if en:
        adj = q[0] + " " if f and f.sentiment else ""
        tail = q[1:] if f and f.sentiment else q
        return f"{adj}comments" + "".join(" " + x for x in tail)
    return "comentarios" + "".join(" " + x for x in q)


def _values_text(f: Filters | None, en: bool) -> list[str]:
    parts = []
    if f is None:
        return parts
    for dim, vs in f.values.items():
        names = [_LANG_NAME.get(v, (v, v))[1 if en else 0] for v in vs] if dim == "lang" else vs
        j = _join(names, en)
        parts.append({"product": (f"for {j}", f"de {j}"), "region": (f"in {j}", f"en {j}"),
                      "channel": (f"via {j}", f"por el canal {j}"),
                      "category": (f"in category {j}", f"de la categoría {j}"),
                      "brand": (f"for brand {j}", f"de la marca {j}"),
                      "lang": (f"in {j}", f"en {j}"), "topic": (f"on topic {j}", f"del tema {j}")}
                     [dim][0 if en else 1])
    return parts


def _filters_text(it: Intent, lang: str) -> str:
    en = lang == "en"
    parts = _values_text(it.filters, en)
    lab = it.date_label_en if en else it.date_label_es
    if lab:
        parts.append(lab)
    return (" " + " ".join(parts)) if parts else ""


def _subset_text(it: Intent, en: bool) -> str:
    """What a share's subset says about the base: 'son negativos', 'have 5 stars', 'mention price'."""
    s = it.subset
    bits = []
    if s.sentiment:
        w = _join([_SENT[x][1 if en else 0] for x in s.sentiment], en)
        bits.append(f"are {w}" if en else f"son {w}")
    if s.rating:
        st = _stars(s.rating, en)
        bits.append(("have " + st[5:] if st.startswith("with ") else "are " + st) if en
                    else ("tienen " + st[4:] if st.startswith("con ") else st))
    among_mentions = any(m.get("value") is None for m in it.filters.mentions)
    for m in s.mentions:
        a = _mention_name(m, en)
        if among_mentions:
            bits.append(f"are about {a}" if en else f"son sobre {a}")
            continue
        verb = {"negative": (f"complain about {a}", f"se quejan de {a}"),
                "positive": (f"praise the {a}", f"elogian {a}"),
                "neutral": (f"mention {a} neutrally", f"mencionan {a} de forma neutra"),
                None: (f"mention {a}", f"mencionan {a}")}[m.get("polarity")]
        bits.append(verb[0 if en else 1])
    if s.words:
        w = _join([f"«{x}»" for x in s.words], en)
        bits.append(f"contain {w}" if en else f"contienen {w}")
    if s.length:
        bits.append(("are " if en else "son ") + _qualifiers(Filters(length=s.length), en)[0])
    vals = _values_text(s, en)
    if vals:
        bits.append(("are " if en else "son ") + " ".join(vals))
    return (" and " if en else " y ").join(bits)


def _notes(it: Intent, en: bool) -> str:
    if not it.notes:
        return ""
    return " (" + "; ".join(n[1 if en else 0] for n in it.notes) + ".)"


def _measure_text(it: Intent, en: bool) -> str:
    subj = _rows_text(it.filters, en)
    plain = subj in ("comments", "comentarios")
    if it.metric == "avg_rating":
        m = "average rating" if en else "calificación promedio"
    elif it.metric == "min_rating":
        m = "lowest rating" if en else "calificación más baja"
    elif it.metric == "max_rating":
        m = "highest rating" if en else "calificación más alta"
    elif it.metric == "avg_length":
        unit = ("characters" if en else "caracteres") if it.length_unit == "chars" else (
            "words" if en else "palabras")
        m = f"average length in {unit}" if en else f"longitud promedio en {unit}"
    elif it.metric == "share":
        m = (f"share of {_rows_text(it.subset, en)}" if en else f"porcentaje de {_rows_text(it.subset, en)}")
        return m
    else:
        return subj
    if plain:
        return m
    art = "las" if subj.startswith(("quejas", "menciones")) else "los"
    return f"{m} of {subj}" if en else f"{m} de {art} {subj}"


def _fmt(it: Intent, v) -> str:
    if it.metric == "avg_length" and isinstance(v, (int, float)):
        return f"{v:,.1f}"
    return fmt_number(v, it.metric == "share")


_SINGULAR = {"comments": "comment", "comentarios": "comentario", "complaints": "complaint", "quejas": "queja",
             "elogios": "elogio", "negative comments": "negative comment",
             "positive comments": "positive comment", "neutral comments": "neutral comment"}


def _singular(subj: str) -> str:
    for pl, sg in _SINGULAR.items():
        if subj.startswith(pl + " ") or subj == pl:
            return sg + subj[len(pl):]
    return subj


def _label(it: Intent, v, en: bool) -> str:
    if it.group == "attribute" and en:
        return ATTRIBUTE_EN.get(v, v)
    if it.group == "food_family" and en:
        return family_en(v)
    if it.group == "month":
        return month_abbr(v, "en" if en else "es")
    if it.group == "rating" and isinstance(v, float) and v.is_integer():
        return str(int(v))
    if it.group == "lang":
        return _LANG_NAME.get(v, (v, v))[1 if en else 0]
    return str(v)


def sentence(it: Intent, columns: list[str], rows: list[list], lang: str) -> str:
    en = lang == "en"
    flt = _filters_text(it, lang)
    notes = _notes(it, en)
    if not rows or all(v is None for r in rows for v in r[-1:]) and not it.group and it.metric != "share":
        return (f"There is no data{flt} for this question." if en
                else f"No hay datos{flt} para esta pregunta.") + notes
    text = _scalar(it, rows[0], flt, en) if not it.group else _grouped(it, rows, flt, en)
    return text[:1].upper() + text[1:] + notes


def _scalar(it: Intent, row: list, flt: str, en: bool) -> str:
    v = row[0]
    subj = _rows_text(it.filters, en)
    if it.metric == "count":
        if v == 1:
            return f"There was 1 {_singular(subj)}{flt}." if en else f"Hubo 1 {_singular(subj)}{flt}."
        return f"There were {fmt_number(v)} {subj}{flt}." if en else f"Hubo {fmt_number(v)} {subj}{flt}."
    if it.metric == "distinct":
        dims = _dims(it, it.distinct_of, en)
        if subj in ("comments", "comentarios") and not flt:
            return (f"There are {fmt_number(v)} {dims[1]} in the data." if en
                    else f"Hay {fmt_number(v)} {dims[1]} en los datos.")
        return (f"{fmt_number(v)} {dims[1]} have {subj}{flt}." if en
                else f"Hay {fmt_number(v)} {dims[1]} con {subj}{flt}.")
    if it.metric in ("avg_rating", "min_rating", "max_rating"):
        m = _measure_text(it, en)
        return (f"The {m}{flt} was {fmt_number(v)} out of 5." if en
                else f"La {m}{flt} fue {fmt_number(v)} de 5.")
    if it.metric == "avg_length":
        unit = ("characters" if en else "caracteres") if it.length_unit == "chars" else (
            "words" if en else "palabras")
        return (f"The {subj}{flt} are {_fmt(it, v)} {unit} long on average." if en
                else f"Los {subj}{flt} tienen en promedio {_fmt(it, v)} {unit}.")
    # share
    if v is None:
        return (f"There are no {subj}{flt} to compute a share." if en
                else f"No hay {subj}{flt} para calcular un porcentaje.")
    n, base = (row[1], row[2]) if len(row) >= 3 else (None, None)
    counts = ""
    if base is not None:
        counts = f" ({fmt_number(n)} {'of' if en else 'de'} {fmt_number(base)})"
    tail = _subset_text(it, en)
    if en:
        return f"{fmt_number(v, True)} of {subj}{flt} {tail}{counts}."
    art = "las" if subj.startswith(("quejas", "menciones")) else "los"
    return f"El {fmt_number(v, True)} de {art} {subj}{flt} {tail}{counts}."


def _grouped(it: Intent, rows: list[list], flt: str, en: bool) -> str:
    measure = _measure_text(it, en)
    if it.group in ("attribute",) + FOOD_KINDS:
        pol = it.group_polarity
        if it.metric == "share" and pol:
            measure = (f"share of {_SENT[pol][1]} mentions" if en
                       else f"porcentaje de menciones {_SENT_F[pol]}")
        elif pol:
            measure = {"negative": ("complaints", "quejas"), "positive": ("positive mentions", "elogios"),
                       "neutral": ("neutral mentions", "menciones neutras")}[pol][0 if en else 1]
        elif it.metric == "count":
            measure = "mentions" if en else "menciones"
    dims = _dims(it, it.group, en)
    if it.order:
        best = rows[0][1]
        if it.top_n == 1 or all(r[1] == best for r in rows):
            return _top_one(it, rows, measure, dims, flt, en)
        listed = ", ".join(f"{_label(it, r[0], en)} ({_fmt(it, r[1])})" for r in rows)
        more = "most" if it.order == "desc" else "fewest"
        if it.metric != "count":
            more = "highest" if it.order == "desc" else "lowest"
        if en:
            return f"Top {it.top_n} {dims[1]} by {measure}{flt} ({more} first): {listed}."
        art = "Las" if dims[2] else "Los"
        sup = ("más" if it.order == "desc" else "menos") if it.metric == "count" else (
            "mayor" if it.order == "desc" else "menor")
        return f"{art} {it.top_n} {dims[1]} con {sup} {measure}{flt}: {listed}."
    if it.group == "month":
        first, last = rows[0], rows[-1]
        return (f"{measure[:1].upper() + measure[1:]}{flt} by month: "
                f"{_fmt(it, first[1])} in {month_abbr(first[0], 'en')} "
                f"→ {_fmt(it, last[1])} in {month_abbr(last[0], 'en')} ({len(rows)} months)." if en
                else f"{measure[:1].upper() + measure[1:]}{flt} por mes: "
                f"{_fmt(it, first[1])} en {month_abbr(first[0], 'es')} "
                f"→ {_fmt(it, last[1])} en {month_abbr(last[0], 'es')} ({len(rows)} meses).")
    listed = ", ".join(f"{_label(it, r[0], en)} ({_fmt(it, r[1])})" for r in rows[:8])
    more = "" if len(rows) <= 8 else (f" and {len(rows) - 8} more" if en else f" y {len(rows) - 8} más")
    return (f"{measure[:1].upper() + measure[1:]}{flt} by {dims[0]}: {listed}{more}." if en
            else f"{measure[:1].upper() + measure[1:]}{flt} por {dims[0]}: {listed}{more}.")


def _top_one(it: Intent, rows: list[list], measure: str, dims: tuple, flt: str, en: bool) -> str:
    best = rows[0][1]
    tied = [r for r in rows if r[1] == best]
    names = [_label(it, r[0], en) for r in tied]
    if len(names) > 10:  # every tied row is in the table; the sentence names the first ten
        names = names[:10] + [f"{len(tied) - 10} {'more' if en else 'más'}"]
    if en:
        sup = "most" if it.order == "desc" else "fewest"
        if it.metric != "count":
            sup = "highest" if it.order == "desc" else "lowest"
        if len(tied) > 1:
            return (f"{_join(names, True, 'and')} tie as the {dims[1]} with the {sup} {measure}{flt} "
                    f"({_fmt(it, best)} each).")
        return f"{names[0]} is the {dims[0]} with the {sup} {measure}{flt} ({_fmt(it, best)})."
    sup = "más" if it.order == "desc" else "menos"
    if it.metric != "count":
        sup = "mayor" if it.order == "desc" else "menor"
    if len(tied) > 1:
        art = "las" if dims[2] else "los"
        return (f"Empate: {_join(names, False, 'y')} son {art} {dims[1]} con {sup} {measure}{flt} "
                f"({_fmt(it, best)} cada uno).")
    art = "la" if dims[2] else "el"
    return f"{names[0]} es {art} {dims[0]} con {sup} {measure}{flt} ({_fmt(it, best)})."


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
                "Which food family is mentioned most?" if facts.has_foods
                else "What percentage of comments are negative by channel?",
                f"Monthly trend of the average rating in {year}"]
    return [f"¿Cuál fue la calificación promedio en {region} en {year}?",
            "¿Qué producto tuvo más quejas por empaque el último trimestre?",
            "¿Qué región menciona más el sabor picante desde junio?",
            f"¿Cuántas quejas sobre el precio tuvo {product} en {year}?",
            "¿Qué familia de alimentos se menciona más?" if facts.has_foods
            else "¿Qué porcentaje de comentarios son negativos por canal?",
            f"¿Cómo evolucionó la calificación promedio por mes en {year}?"]


_WHY = {"no food mentions": ("The comments have not been scanned for foods yet (scoring does it: "
                             "sabor analyze).",
                             "Los comentarios aún no se han analizado en busca de alimentos (se hace al "
                             "puntuarlos: sabor analyze).")}


def cannot_answer_text(exc: CannotParse, facts: Facts, lang: str) -> str:
    sugg = suggestions(facts, lang)[:4]
    why = _WHY.get(exc.why)
    if lang == "en":
        extra = f" I don't know the words: {', '.join(exc.unknown[:5])}." if exc.unknown else ""
        extra += f" {why[0]}" if why else ""
        return f"{CANNOT_EN}{extra} Try, for example: " + " · ".join(sugg)
    extra = f" No reconozco: {', '.join(exc.unknown[:5])}." if exc.unknown else ""
    extra += f" {why[1]}" if why else ""
    return f"{CANNOT_ES}{extra} Prueba, por ejemplo: " + " · ".join(sugg)
