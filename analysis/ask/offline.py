"""The built-in answerer: common Spanish and English questions → an intent → SQL through the same guard.

It is deliberately closed-vocabulary: every word of the question must be understood (a metric, a filter
value found in the data, a date expression, a taste attribute or a harmless filler word). A question with
a word it does not know gets "No puedo responder esa pregunta todavía" and suggestions, never a guess.

Relative dates are anchored on the LATEST DATE IN THE DATA (not today's date), so that the demo data and
older uploads answer sensibly: "el último trimestre"/"last quarter" is the calendar quarter that holds the
latest comment; "el último mes"/"last month" is the calendar month of the latest comment; "en octubre"
is the latest October present in the data; "desde junio" starts on the latest June 1 not after it.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import asdict, dataclass, replace

import pandas as pd

from analysis.ask.answer import fmt_number
from analysis.months import FULL_NAME_NUMBER, MONTHS_ES, month_abbr

ATTRIBUTES = ["dulce", "salado", "picante", "ácido", "amargo", "sabor", "aroma", "textura", "frescura",
              "temperatura", "precio", "porción", "empaque", "saludable", "ingredientes"]

_ATTR_WORDS = {
    "dulce": "dulce dulces dulzor dulzura azucar azucarado azucarada azucarados empalagoso empalagosa sweet "
             "sweetness sugar sugary",
    "salado": "salado salada salados saladas sal salty salt saltiness",
    "picante": "picante picantes picor pica aji spicy spice spiciness",
    "ácido": "acido acida acidos acidas acidez agrio agria sour acidic acidity",
    "amargo": "amargo amarga amargos amargor bitter bitterness",
    "sabor": "sabor sabores gusto flavor flavour flavors flavours taste",
    "aroma": "aroma aromas olor olores smell smells scent",
    "textura": "textura texturas crocante crujiente texture crunchy crunchiness",
    "frescura": "frescura fresco fresca frescos freshness fresh",
    "temperatura": "temperatura frio fria helada temperature cold",
    "precio": "precio precios caro cara caros baratos barato costo costos price prices pricing expensive "
              "cheap cost",
    "porción": "porcion porciones tamano portion portions size serving",
    "empaque": "empaque empaques envase envases envoltura paquete packaging package packages pack",
    "saludable": "saludable saludables sano sana nutritivo healthy health healthiness",
    "ingredientes": "ingrediente ingredientes insumos ingredient ingredients",
}
ATTR_OF = {w: a for a, ws in _ATTR_WORDS.items() for w in ws.split()}
ADJ_ATTRS = {"dulce", "salado", "picante", "ácido", "amargo"}  # "sabor picante" = picante, not sabor

NEG_WORDS = {
    "queja", "quejas", "quejan", "quejaron", "quejo", "reclamo", "reclamos", "complaint", "complaints",
    "complain", "complained", "complaining", "negativo", "negativos", "negativa", "negativas", "negative",
    "critica", "criticas"
}
POS_WORDS = {
    "elogio", "elogios", "positivo", "positivos", "positiva", "positivas", "positive", "praise", "praised",
    "praises", "elogian", "elogiaron"
}
NEU_WORDS = {"neutral", "neutrales", "neutros", "neutro"}
# A polarity adjective as predicate ("¿qué % de los comentarios sobre el precio son negativos?") asks for the
# share among the attribute's mentions; a complaint noun/verb ("% que se quejan del precio") for all comments.
POL_ADJECTIVES = {
    "negativo", "negativos", "negativa", "negativas", "negative", "positivo", "positivos", "positiva",
    "positivas", "positive", "neutral", "neutrales", "neutro", "neutros"
}
MENTION_WORDS = {
    "menciona", "mencionan", "mencionaron", "mencion", "menciones", "mencionando", "mention", "mentions",
    "mentioned", "mentioning", "hablan", "habla", "talk", "talks"
}
COUNT_WORDS = {"cuantos", "cuantas", "numero", "cantidad", "count", "many", "number"}
AVG_WORDS = {"promedio", "media", "average", "mean"}
RATING_WORDS = {
    "calificacion", "calificaciones", "puntuacion", "puntuaciones", "puntaje", "nota", "estrellas",
    "rating", "ratings", "stars", "score", "calificado", "calificada", "rated"
}
SHARE_WORDS = {"porcentaje", "proporcion", "share", "percentage", "percent", "fraccion"}
TREND_WORDS = {
    "tendencia", "evolucion", "evoluciono", "evolucionado", "mensual", "mensualmente", "trend", "trends",
    "monthly", "evolved"
}
MOST_WORDS = {"mas", "mayor", "mejor", "top", "most", "highest", "best", "more", "mayores"}
LEAST_WORDS = {"menos", "menor", "peor", "least", "lowest", "worst", "fewer", "fewest", "peores"}
GROUP_WORDS = {
    "producto": "product", "productos": "product", "product": "product", "products": "product",
    "region": "region", "regiones": "region", "regions": "region", "departamento": "region",
    "departamentos": "region", "canal": "channel", "canales": "channel", "channel": "channel",
    "channels": "channel", "atributo": "attribute", "atributos": "attribute", "attribute": "attribute",
    "attributes": "attribute", "categoria": "category", "categorias": "category", "category": "category",
    "categories": "category", "marca": "brand", "marcas": "brand", "brand": "brand", "brands": "brand",
    "mes": "month", "meses": "month", "month": "month", "months": "month",
}
FILLER = {
    "que", "cual", "cuales", "cuanto", "cuanta", "fue", "es", "son", "era", "eran", "hubo", "hay", "habia",
    "tuvo", "tiene", "tienen", "tuvieron", "recibio", "recibieron", "recibe", "reciben", "el", "la", "los",
    "las", "un", "una", "unos", "unas", "de", "del", "en", "por", "para", "con", "sobre", "y", "o", "a",
    "al", "se", "lo", "le", "les", "sus", "su", "mi", "me", "nos", "comentarios", "comentario", "resenas",
    "resena", "opiniones", "opinion", "feedback", "clientes", "cliente", "consumidores", "personas",
    "gente", "datos", "dato", "total", "totales", "registrados", "registradas", "hecho", "hechos", "dieron",
    "dio", "what", "which", "was", "is", "are", "were", "the", "an", "of", "in", "on", "for", "with",
    "about", "and", "or", "did", "does", "do", "has", "have", "had", "there", "get", "got", "received",
    "receive", "gets", "bought", "buy", "purchased", "compra", "compras", "comprado", "compraron",
    "reviews", "review", "comments", "comment", "customers", "customer", "people", "by", "per", "from",
    "to", "show", "give", "tell", "dame", "muestra", "muestrame", "dime", "como", "how",
    "much", "many", "been", "be", "its", "it", "this", "that", "those", "these", "vez", "veces",
    "acerca", "respecto", "cada", "each", "all", "todos", "todas", "todo", "any", "algun", "alguna",
    "donde", "where", "mayoria", "gusta", "gustan", "mediante", "segun", "via", "through",
    "as"
}
# Product nouns in English → the Spanish words in product names (the demo and most Peruvian data).
PHRASE_ALIASES = [
    ("ice cream", "helado"), ("sweet potato", "camote"), ("plantain chips", "chifles"), ("plantain", "platano"),
    ("purple corn", "chicha morada"), ("cookies", "galletas"), ("cookie", "galletas"), ("coffee", "cafe"),
    ("yogurt", "yogur"), ("strawberry", "fresa"), ("sauce", "salsa"), ("soda", "gaseosa"),
    ("supermarkets", "supermercado"), ("supermarket", "supermercado"), ("super", "supermercado"),
    ("online", "ecommerce"), ("internet", "ecommerce"), ("e commerce", "ecommerce"),
    ("redes sociales", "ecommerce"), ("social media", "ecommerce"), ("corner shops", "bodega"),
    ("corner shop", "bodega"), ("corner stores", "bodega"), ("corner store", "bodega"), ("bodegas", "bodega"),
    ("cuzco", "cusco"), ("a partir de", "desde"), ("starting from", "since"), ("starting in", "since"),
]
# Month names a question may use; English "may" is a verb far more often than a month.
MONTHS = {k: v for k, v in FULL_NAME_NUMBER.items() if k != "may"}
NUMBER_WORDS = {"dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8, "nueve": 9,
                "diez": 10, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                "nine": 9, "ten": 10}
SPANISH_HINTS = {
    "que", "cual", "cuantos", "cuantas", "en", "el", "la", "los", "las", "de", "del", "hubo", "tuvo", "fue",
    "promedio", "quejas", "por", "comentarios", "y", "desde", "ultimo", "ultima", "mas", "porcentaje",
    "como", "region", "producto"
}
ENGLISH_HINTS = {
    "what", "which", "how", "many", "the", "of", "in", "was", "were", "did", "most", "average",
    "complaints", "since", "last", "and", "share", "by", "per", "month", "region", "product", "comments",
    "about"
}

CANNOT_ES = "No puedo responder esa pregunta todavía."
CANNOT_EN = "I can't answer that question yet."


def norm(text: str) -> str:
    """Lower case, accents stripped, punctuation to spaces ('%' kept as a word)."""
    s = unicodedata.normalize("NFKD", str(text).lower())
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = s.replace("%", " porcentaje ")
    s = re.sub(r"[^a-z0-9ñ ]+", " ", s)
    return re.sub(r"\s+", " ", s).strip()


def detect_lang(question: str) -> str:
    toks = norm(question).split()
    es = sum(t in SPANISH_HINTS for t in toks) + 2 * bool(re.search(r"[¿¡ñáéíóú]", question.lower()))
    en = sum(t in ENGLISH_HINTS for t in toks)
    return "en" if en > es else "es"


# -- facts from the data (distinct values and date range) -------------------------------------------
@dataclass(frozen=True)
class Facts:
    products: tuple[str, ...]
    regions: tuple[str, ...]
    channels: tuple[str, ...]
    categories: tuple[str, ...]
    min_date: dt.date | None
    max_date: dt.date | None
    months: tuple[dt.date, ...]  # first day of every month that has data


_FACTS_CACHE: dict[tuple[str, str], Facts] = {}


def load_facts(store) -> Facts:
    key = (str(store.path), store.data_version())
    f = _FACTS_CACHE.get(key)
    if f is not None:
        return f

    def distinct(col: str) -> tuple[str, ...]:
        df = store.query(f"SELECT DISTINCT {col} AS v FROM feedback_enriched WHERE {col} IS NOT NULL ORDER BY 1", kind="ask")
        return tuple(str(v) for v in df["v"])

    rng = store.query("SELECT min(date) AS lo, max(date) AS hi FROM feedback_enriched", kind="ask").iloc[0]
    months = store.query("SELECT DISTINCT CAST(date_trunc('month', date) AS DATE) AS m FROM feedback_enriched "
                         "WHERE date IS NOT NULL ORDER BY 1", kind="ask")["m"]
    f = Facts(distinct("product"), distinct("region"), distinct("channel"), distinct("category"),
              _to_date(rng["lo"]), _to_date(rng["hi"]), tuple(_to_date(m) for m in months))
    _FACTS_CACHE.clear()
    _FACTS_CACHE[key] = f
    return f


def _to_date(v) -> dt.date | None:
    if v is None or pd.isna(v):
        return None
    return pd.Timestamp(v).date()


# -- the intent ------------------------------------------------------------------------------------
@dataclass
class Intent:
    metric: str = "count"                 # count | avg_rating | share | distinct (values of `group`)
    attribute: str | None = None
    polarity: str | None = None           # mention polarity (with attribute)
    sentiment: str | None = None          # comment sentiment (without attribute)
    share_of_mentions: bool = False       # share base = comments mentioning the attribute
    group: str | None = None              # product | region | channel | month | attribute | category | brand
    order: str | None = None              # desc | asc (top-N) ; None = full breakdown
    top_n: int | None = None
    product: str | None = None
    region: str | None = None
    channel: str | None = None
    category: str | None = None
    date_from: str | None = None          # ISO, inclusive
    date_to: str | None = None            # ISO, exclusive
    date_label_es: str = ""
    date_label_en: str = ""

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> Intent:
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


class CannotParse(Exception):
    def __init__(self, unknown: list[str] | None = None, why: str = ""):
        self.unknown = unknown or []
        self.why = why
        super().__init__(why or " ".join(self.unknown))


# -- parsing -----------------------------------------------------------------------------------------
class _Tokens:
    def __init__(self, text: str):
        self.toks = text.split()
        self.used = [False] * len(self.toks)

    def find(self, phrase: list[str], start: int = 0) -> int:
        n = len(phrase)
        for i in range(start, len(self.toks) - n + 1):
            if self.toks[i:i + n] == phrase and not any(self.used[i:i + n]):
                return i
        return -1

    def take(self, phrase: str) -> bool:
        p = phrase.split()
        i = self.find(p)
        if i < 0:
            return False
        for j in range(i, i + len(p)):
            self.used[j] = True
        return True

    def mark(self, i: int, n: int = 1) -> None:
        for j in range(i, i + n):
            self.used[j] = True

    def free(self) -> list[tuple[int, str]]:
        return [(i, t) for i, t in enumerate(self.toks) if not self.used[i]]


_GENERIC = (set(FILLER) | set(ATTR_OF) | NEG_WORDS | POS_WORDS | NEU_WORDS | MENTION_WORDS | set(GROUP_WORDS)
            | set(MONTHS) | COUNT_WORDS | AVG_WORDS | RATING_WORDS | SHARE_WORDS | TREND_WORDS | MOST_WORDS
            | LEAST_WORDS | {"porcentaje", "trimestre", "quarter", "ultimo", "ultimos", "desde", "since", "last"})


def _aliased(text: str) -> str:
    for a, b in PHRASE_ALIASES:
        text = re.sub(rf"\b{a}\b", b, text)
    return text


def _value_tokens(value: str) -> list[str]:
    return _aliased(norm(value)).split()


def _match_values(tk: _Tokens, values: tuple[str, ...]) -> list[tuple[int, bool, str, int, int]]:
    """Candidate matches: (tokens matched, full name, value, start, length). A partial match must include a
    distinctive word (4+ letters, not a vocabulary word) so that 'de' or '500' never selects a product."""
    out = []
    q = tk.toks
    for v in values:
        vt = _value_tokens(v)
        best = None
        for i in range(len(q)):
            for j in range(len(vt)):
                n = 0
                while i + n < len(q) and j + n < len(vt) and q[i + n] == vt[j + n] and not tk.used[i + n]:
                    n += 1
                if n == 0:
                    continue
                run = vt[j:j + n]
                full = n == len(vt)
                if not full and not any(len(t) >= 4 and not t.isdigit() and t not in _GENERIC for t in run):
                    continue
                if full and all(t in _GENERIC for t in run):
                    continue
                cand = (n, full, v, i, n)
                if best is None or cand[:2] > best[:2]:
                    best = cand
            if best:
                out.append(best)   # the best run starting at each question position
                best = None
    return out


def _pick_values(tk: _Tokens, facts: Facts) -> dict[str, str]:
    dims = {"product": facts.products, "region": facts.regions, "channel": facts.channels}
    cands = []
    for dim, values in dims.items():
        for n, full, v, i, ln in _match_values(tk, tuple(values)):
            cands.append((n, full, dim, v, i, ln))
    cands.sort(key=lambda c: (c[0], c[1]), reverse=True)
    chosen: dict[str, str] = {}
    for n, full, dim, v, i, ln in cands:
        if any(tk.used[i:i + ln]):
            continue
        # Two different values of one dimension from the same words = ambiguous ("chicha" in two products).
        rivals = [c for c in cands if c[2] == dim and c[3] != v and c[4] == i and c[:2] == (n, full)]
        if rivals:
            raise CannotParse(why=f"ambiguous {dim}: {v} / {rivals[0][3]}")
        if chosen.get(dim) == v:
            tk.mark(i, ln)
            continue
        if dim in chosen:
            raise CannotParse(why=f"two values for {dim}: {chosen[dim]} / {v}")
        chosen[dim] = v
        tk.mark(i, ln)
    # the chosen values' other distinctive words elsewhere in the question ("kiwicha cookies" → both words)
    for v in chosen.values():
        distinctive = {t for t in _value_tokens(v) if len(t) >= 4 and not t.isdigit() and t not in _GENERIC}
        for j, t in tk.free():
            if t in distinctive:
                tk.mark(j)
    # Category only with the word "categoría" in front (its names overlap taste words: "dulces").
    for i, t in tk.free():
        if t in ("categoria", "category") and i + 1 < len(tk.toks):
            nxt = tk.toks[i + 1]
            for c in facts.categories:
                if norm(c) == nxt:
                    chosen["category"] = c
                    tk.mark(i, 2)
    return chosen


def _month_start(d: dt.date) -> dt.date:
    return d.replace(day=1)


def _add_months(d: dt.date, k: int) -> dt.date:
    m = d.month - 1 + k
    return dt.date(d.year + m // 12, m % 12 + 1, 1)


def _parse_dates(tk: _Tokens, facts: Facts, intent: Intent) -> None:
    hi = facts.max_date
    toks = tk.toks

    def set_range(a: dt.date, b: dt.date, les: str, len_: str):
        if intent.date_from is not None:
            raise CannotParse(why="two date ranges")
        intent.date_from, intent.date_to = a.isoformat(), b.isoformat()
        intent.date_label_es, intent.date_label_en = les, len_

    def need_hi():
        if hi is None:
            raise CannotParse(why="no dates in the data")
        return hi

    # relative periods
    for ph in ("el ultimo trimestre", "ultimo trimestre", "the last quarter", "last quarter", "the past quarter",
               "past quarter", "el trimestre pasado", "trimestre pasado"):
        if tk.take(ph):
            h = need_hi()
            q0 = dt.date(h.year, 3 * ((h.month - 1) // 3) + 1, 1)
            lab = f"{month_abbr(q0, 'es')}–{month_abbr(_add_months(q0, 2), 'es')}"
            labe = f"{month_abbr(q0, 'en')}–{month_abbr(_add_months(q0, 2), 'en')}"
            set_range(q0, _add_months(q0, 3), f"en el último trimestre ({lab})", f"in the last quarter ({labe})")
            break
    for ph in ("el ultimo mes", "ultimo mes", "el mes pasado", "mes pasado", "the last month", "last month",
               "the past month", "past month"):
        if tk.take(ph):
            h = need_hi()
            m0 = _month_start(h)
            set_range(m0, _add_months(m0, 1), f"en el último mes ({month_abbr(m0, 'es')})",
                      f"in the last month ({month_abbr(m0, 'en')})")
            break
    for ph, delta, les, len_ in (("este ano", 0, "este año", "this year"), ("this year", 0, "este año", "this year"),
                                 ("el ano pasado", -1, "el año pasado", "last year"),
                                 ("ano pasado", -1, "el año pasado", "last year"),
                                 ("last year", -1, "el año pasado", "last year")):
        if tk.take(ph):
            y = need_hi().year + delta
            set_range(dt.date(y, 1, 1), dt.date(y + 1, 1, 1), f"en {y}", f"in {y}")
            break
    # "últimos 6 meses" / "last 6 months"
    for i, t in tk.free():
        if t in ("ultimos", "last", "past") and i + 2 < len(toks) and toks[i + 2] in ("meses", "months"):
            k = toks[i + 1]
            k = int(k) if k.isdigit() else NUMBER_WORDS.get(k)
            if k:
                h = need_hi()
                m0 = _add_months(_month_start(h), -(k - 1))
                set_range(m0, _add_months(_month_start(h), 1), f"en los últimos {k} meses",
                          f"in the last {k} months")
                tk.mark(i, 3)
                if i > 0 and toks[i - 1] in ("los", "the"):
                    tk.mark(i - 1)
    # quarters "primer trimestre de 2025", "q1 2025"
    ords = {"primer": 1, "primero": 1, "segundo": 2, "tercer": 3, "tercero": 3, "cuarto": 4, "first": 1,
            "second": 2, "third": 3, "fourth": 4}
    for i, t in tk.free():
        qn = None
        if t in ords and i + 1 < len(toks) and toks[i + 1] in ("trimestre", "quarter"):
            qn, span = ords[t], 2
        elif re.fullmatch(r"q[1-4]", t):
            qn, span = int(t[1]), 1
        if qn:
            j = i + span
            if j < len(toks) and toks[j] in ("de", "of", "del") and j + 1 < len(toks):
                j += 1
            if j < len(toks) and re.fullmatch(r"20\d\d", toks[j]):
                y = int(toks[j])
                q0 = dt.date(y, 3 * (qn - 1) + 1, 1)
                set_range(q0, _add_months(q0, 3), f"en el trimestre {qn} de {y}", f"in Q{qn} {y}")
                tk.mark(i, j - i + 1)
            else:
                raise CannotParse(why="quarter without year")
    # "desde junio (de 2024)" / "since June (2024)"
    for i, t in tk.free():
        starts = t in ("desde", "since") or (t == "partir" and i > 0 and toks[i - 1] == "a")
        if starts and i + 1 < len(toks) and toks[i + 1] in MONTHS:
            mo = MONTHS[toks[i + 1]]
            span = 2
            y = None
            j = i + 2
            if j < len(toks) and toks[j] in ("de", "del") and j + 1 < len(toks) and re.fullmatch(r"20\d\d", toks[j + 1]):
                y, span = int(toks[j + 1]), 4
            elif j < len(toks) and re.fullmatch(r"20\d\d", toks[j]):
                y, span = int(toks[j]), 3
            h = need_hi()
            if y is None:
                y = h.year if mo <= h.month else h.year - 1
            a = dt.date(y, mo, 1)
            set_range(a, _add_months(_month_start(h), 1), f"desde {MONTHS_ES[mo - 1]} de {y}",
                      f"since {dt.date(y, mo, 1):%B} {y}")
            tk.mark(i, span)
            if t == "partir":
                tk.mark(i - 1)
    # a month name, optionally with a year: "en octubre", "octubre de 2024", "october 2024"
    for i, t in tk.free():
        if t in MONTHS and not tk.used[i]:
            mo = MONTHS[t]
            y, span = None, 1
            j = i + 1
            if j < len(toks) and toks[j] in ("de", "del", "of") and j + 1 < len(toks) and re.fullmatch(r"20\d\d", toks[j + 1]):
                y, span = int(toks[j + 1]), 3
            elif j < len(toks) and re.fullmatch(r"20\d\d", toks[j]):
                y, span = int(toks[j]), 2
            if y is None:
                ys = [m.year for m in facts.months if m.month == mo]
                if not ys:
                    raise CannotParse(why=f"no data for month {mo}")
                y = max(ys)
            a = dt.date(y, mo, 1)
            set_range(a, _add_months(a, 1), f"en {MONTHS_ES[mo - 1]} de {y}", f"in {a:%B} {y}")
            tk.mark(i, span)
    # a bare year
    for i, t in tk.free():
        if re.fullmatch(r"20\d\d", t):
            y = int(t)
            set_range(dt.date(y, 1, 1), dt.date(y + 1, 1, 1), f"en {y}", f"in {y}")
            tk.mark(i)
            if i > 0 and toks[i - 1] in ("ano", "year", "el"):
                tk.mark(i - 1)


def parse(question: str, facts: Facts, previous: Intent | None = None) -> Intent:
    """The intent of `question`, or CannotParse. `previous` is the last question's intent (follow-ups)."""
    text = _aliased(norm(question))
    tk = _Tokens(text)
    if not tk.toks:
        raise CannotParse(why="empty")

    followup = previous is not None and (
        tk.toks[0] in ("y", "and") or text.startswith(("what about", "how about", "and what about", "e "))
    )
    if followup:
        for ph in ("and what about", "what about", "how about", "and", "y"):
            if text.startswith(ph):
                tk.take(ph)
                break
    it = Intent()
    chosen = _pick_values(tk, facts)
    _parse_dates(tk, facts, it)

    # multi-word phrases before single words
    if any(tk.take(p) for p in ("mes a mes", "por mes", "cada mes", "per month", "each month", "by month",
                                "over time", "a lo largo del tiempo", "en el tiempo", "month by month",
                                "mes por mes")):
        it.group = "month"
    # "¿cuántos productos/regiones hay?" counts the dimension's values, not comments
    distinct_dim = None
    for i, t in enumerate(tk.toks[:-1]):
        if t in ("cuantos", "cuantas", "many") and tk.toks[i + 1] in GROUP_WORDS and not tk.used[i + 1]:
            distinct_dim = GROUP_WORDS[tk.toks[i + 1]]
            tk.mark(i + 1)
    if any(tk.take(p) for p in ("how many", "cuantos", "cuantas", "numero de", "number of", "cantidad de")):
        it.metric = "count"
        metric_seen = True
    else:
        metric_seen = False
    # top-N
    for i, t in tk.free():
        n = int(t) if t.isdigit() and len(t) <= 2 else NUMBER_WORDS.get(t)
        if n and n > 0:
            it.top_n = n
            tk.mark(i)

    words = [t for _, t in tk.free()]
    attrs = {ATTR_OF[w] for w in words if w in ATTR_OF}
    if "sabor" in attrs and attrs & ADJ_ATTRS:
        attrs.discard("sabor")  # "sabor picante" / "spicy flavours" is about spiciness
    attrs = sorted(attrs)
    if len(attrs) > 1:
        raise CannotParse(why="several taste attributes")
    it.attribute = attrs[0] if attrs else None

    neg = any(w in NEG_WORDS for w in words)
    pos = any(w in POS_WORDS for w in words)
    neu = any(w in NEU_WORDS for w in words)
    if neg + pos + neu > 1:
        raise CannotParse(why="several polarities")
    pol = "negative" if neg else "positive" if pos else "neutral" if neu else None
    mentions = any(w in MENTION_WORDS for w in words)
    has_avg = any(w in AVG_WORDS for w in words)
    has_rating = any(w in RATING_WORDS for w in words)
    has_share = any(w in SHARE_WORDS for w in words)
    has_trend = any(w in TREND_WORDS for w in words)
    most = any(w in MOST_WORDS for w in words)
    least = any(w in LEAST_WORDS for w in words)
    groups = {GROUP_WORDS[w] for w in words if w in GROUP_WORDS}
    if it.group == "month":
        groups.discard("month")
    # "por región" / "by product" / "de cada canal" → breakdown; "qué región ..." → a group too.
    if len(groups) > 1:
        raise CannotParse(why="several groupings")
    if groups:
        g = groups.pop()
        if it.group == "month" and g != "month":
            raise CannotParse(why="trend and grouping")
        it.group = g
    if has_trend:
        if it.group not in (None, "month"):
            raise CannotParse(why="trend by group")
        it.group = "month"
    if most and least:
        raise CannotParse(why="most and least")

    if it.attribute:
        it.polarity = pol
    else:
        it.sentiment = pol

    if has_share:
        it.metric = "share"
        it.share_of_mentions = bool(it.attribute and pol and any(w in POL_ADJECTIVES for w in words))
        if not (it.attribute or it.sentiment):
            raise CannotParse(why="share of what")
    elif has_rating:
        it.metric = "avg_rating"
    elif has_avg:
        # "precio promedio" / "average price": an average of something we do not store per comment
        raise CannotParse(why="average of what")
    elif metric_seen or mentions or pol or it.attribute or most or least or it.group or any(
            w in ("comentarios", "comentario", "resenas", "reviews", "comments", "opiniones") for w in words):
        it.metric = "count"
    elif followup and previous is not None:
        pass
    else:
        raise CannotParse(why="no metric")

    if distinct_dim:
        if it.group or has_share or has_avg or has_rating or most or least or distinct_dim == "month":
            raise CannotParse(why="distinct count with other measures")
        it.metric, it.group = "distinct", distinct_dim
    if it.group in chosen:
        # "en el canal Bodega": the dimension word names the filter, not a grouping
        if most or least or it.top_n or it.metric == "distinct":
            raise CannotParse(why=f"rank or count {it.group} within one {it.group}")
        it.group = None
    if it.group and it.group != "month":
        if most or least:
            it.order = "asc" if least else "desc"
            it.top_n = it.top_n or 1
        elif it.top_n:
            it.order = "desc"
    elif most or least or it.top_n:
        # "más quejas" with nothing to rank: not a question we can answer honestly
        raise CannotParse(why="ranking without a dimension")

    # every remaining word must be understood
    known = (set(ATTR_OF) | NEG_WORDS | POS_WORDS | NEU_WORDS | MENTION_WORDS | COUNT_WORDS | AVG_WORDS
             | RATING_WORDS | SHARE_WORDS | TREND_WORDS | MOST_WORDS | LEAST_WORDS | set(GROUP_WORDS) | FILLER
             | {"top"})
    unknown = [t for _, t in tk.free() if t not in known]
    if unknown:
        raise CannotParse(unknown=unknown)

    it.product = chosen.get("product")
    it.region = chosen.get("region")
    it.channel = chosen.get("channel")
    it.category = chosen.get("category")

    if followup and previous is not None:
        it = _merge_followup(previous, it, chosen, words, metric_seen or has_avg or has_rating or has_share
                             or has_trend or mentions or pol is not None or it.attribute is not None)
    if it.group == "attribute" and it.attribute:
        raise CannotParse(why="attribute both filter and group")
    return it


def _merge_followup(prev: Intent, new: Intent, chosen: dict, words: list[str], has_metric: bool) -> Intent:
    """'¿y en Cusco?': the previous intent with the slots the follow-up names replaced."""
    out = replace(prev)
    for dim in ("product", "region", "channel", "category"):
        if dim in chosen:
            setattr(out, dim, chosen[dim])
    if new.date_from is not None:
        out.date_from, out.date_to = new.date_from, new.date_to
        out.date_label_es, out.date_label_en = new.date_label_es, new.date_label_en
    if new.attribute:
        out.attribute = new.attribute
        out.polarity = new.polarity if new.polarity else prev.polarity
        out.sentiment = None
    if has_metric and not new.attribute and new.metric != "count":
        out.metric = new.metric
    # a follow-up that names the dimension being grouped replaces the filter, not the grouping
    if out.group in chosen:
        out.group, out.order, out.top_n = None, None, None
        if out.metric == "distinct":
            out.metric = "count"
    return out


# -- SQL --------------------------------------------------------------------------------------------
def _q(v: str) -> str:
    return "'" + str(v).replace("'", "''") + "'"


def _where(it: Intent, with_subject: bool, table: str) -> list[str]:
    w = []
    for col in ("product", "region", "channel", "category"):
        v = getattr(it, col)
        if v is not None:
            w.append(f"{col} = {_q(v)}")
    if it.date_from:
        w.append(f"date >= DATE {_q(it.date_from)}")
    if it.date_to:
        w.append(f"date < DATE {_q(it.date_to)}")
    if with_subject:
        w += _subject(it, table)
    return w


def _subject(it: Intent, table: str) -> list[str]:
    if it.attribute:
        cond = f"attribute = {_q(it.attribute)}" + (f" AND polarity = {_q(it.polarity)}" if it.polarity else "")
        if table == "mentions_enriched":
            return [cond]
        return [f"feedback_id IN (SELECT feedback_id FROM mentions_enriched WHERE {cond})"]
    if it.sentiment:
        return [f"sentiment = {_q(it.sentiment)}"]
    return []


GROUP_COL = {"product": "product", "region": "region", "channel": "channel", "month": "month",
             "attribute": "attribute", "category": "category", "brand": "brand"}


def to_sql(it: Intent) -> tuple[str, str]:
    """(sql, value column name)."""
    if it.metric == "distinct":
        col = GROUP_COL[it.group]
        table = "mentions_enriched" if it.group == "attribute" or it.attribute else "feedback_enriched"
        where = _where(it, True, table) if table == "feedback_enriched" else _where(it, False, table) + _subject(it, table)
        wsql = (" WHERE " + " AND ".join(where)) if where else ""
        value = f"n_{it.group}"
        return f"SELECT count(DISTINCT {col}) AS {value} FROM {table}{wsql}", value
    by_attr = it.group == "attribute"
    if it.metric == "share" and it.share_of_mentions:
        table = "mentions_enriched"
        where = _where(it, False, table) + [f"attribute = {_q(it.attribute)}"]
        value = "pct"
        expr = (f"round(100.0 * count(DISTINCT feedback_id) FILTER (WHERE polarity = {_q(it.polarity)}) "
                f"/ count(DISTINCT feedback_id), 1)")
    elif it.metric == "share" and by_attr:
        table = "mentions_enriched"
        where = _where(it, False, table)
        value = "pct"
        expr = (f"round(100.0 * count(DISTINCT feedback_id) FILTER (WHERE polarity = {_q(it.sentiment)}) "
                f"/ count(DISTINCT feedback_id), 1)")
    elif it.metric == "share":
        table = "feedback_enriched"
        cond = " AND ".join(_subject(it, "feedback_enriched"))
        where = _where(it, False, table)
        value = "pct"
        expr = f"round(100.0 * count(*) FILTER (WHERE {cond}) / count(*), 1)"
    elif by_attr:
        # one row per attribute over the mentions; without an attribute the polarity word sits in `sentiment`
        table = "mentions_enriched"
        pol = it.polarity or it.sentiment
        where = _where(it, False, table) + ([f"polarity = {_q(pol)}"] if pol else [])
        if it.metric == "avg_rating":
            expr, value = "round(avg(rating), 2)", "avg_rating"
        else:
            expr, value = "count(DISTINCT feedback_id)", "comments"
    else:
        table = "feedback_enriched"
        where = _where(it, True, table)
        if it.metric == "avg_rating":
            expr, value = "round(avg(rating), 2)", "avg_rating"
        else:
            expr, value = "count(*)", "comments"
    wsql = (" WHERE " + " AND ".join(where)) if where else ""
    if it.group:
        col = GROUP_COL[it.group]
        nn = f"{col} IS NOT NULL"
        wsql = f"{wsql} AND {nn}" if wsql else f" WHERE {nn}"
        sql = f"SELECT {col}, {expr} AS {value} FROM {table}{wsql} GROUP BY {col}"
        if it.group == "month":
            sql += f" ORDER BY {col}"
        else:
            direction = "ASC" if it.order == "asc" else "DESC"
            sql += f" ORDER BY {value} {direction} NULLS LAST, {col}"
            if it.top_n:
                sql += f" LIMIT {int(it.top_n)}"
    else:
        sql = f"SELECT {expr} AS {value} FROM {table}{wsql}"
    return sql, value


# -- sentences --------------------------------------------------------------------------------------
_ATTR_EN = {"dulce": "sweetness", "salado": "saltiness", "picante": "spiciness", "ácido": "sourness",
            "amargo": "bitterness", "sabor": "flavour", "aroma": "aroma", "textura": "texture",
            "frescura": "freshness", "temperatura": "temperature", "precio": "price", "porción": "portion size",
            "empaque": "packaging", "saludable": "healthiness", "ingredientes": "ingredients"}
_DIM_ES = {"product": ("producto", "productos"), "region": ("región", "regiones"), "channel": ("canal", "canales"),
           "attribute": ("atributo", "atributos"), "category": ("categoría", "categorías"),
           "brand": ("marca", "marcas"), "month": ("mes", "meses")}
_DIM_EN = {"product": ("product", "products"), "region": ("region", "regions"), "channel": ("channel", "channels"),
           "attribute": ("attribute", "attributes"), "category": ("category", "categories"),
           "brand": ("brand", "brands"), "month": ("month", "months")}


def _subject_text(it: Intent, lang: str) -> str:
    en = lang == "en"
    if it.attribute:
        a = _ATTR_EN[it.attribute] if en else it.attribute
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
        return (f"There is no data{flt} for this question." if en else f"No hay datos{flt} para esta pregunta.")
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
            return (f"There were {fmt_number(v)} {subj}{flt}." if en else f"Hubo {fmt_number(v)} {subj}{flt}.")
        if it.metric == "avg_rating":
            return (f"{what.capitalize()}{flt} was {fmt_number(v)} out of 5." if en
                    else f"{what.capitalize()}{flt} fue {fmt_number(v)} de 5.")
        if it.share_of_mentions:
            pol = {"negative": ("negative", "negativos"), "positive": ("positive", "positivos"),
                   "neutral": ("neutral", "neutros")}[it.polarity]
            a = _ATTR_EN[it.attribute] if en else it.attribute
            return (f"{fmt_number(v, True)} of the comments mentioning {a}{flt} were {pol[0]}." if en
                    else f"El {fmt_number(v, True)} de los comentarios que mencionan {a}{flt} son {pol[1]}.")
        a = (_ATTR_EN[it.attribute] if en else it.attribute) if it.attribute else ""
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
        return (f"{measure.capitalize()}{flt} by month: {fmt_number(first[1], pct)} in {month_abbr(first[0], 'en')} "
                f"→ {fmt_number(last[1], pct)} in {month_abbr(last[0], 'en')} ({len(rows)} months)." if en
                else f"{measure.capitalize()}{flt} por mes: {fmt_number(first[1], pct)} en {month_abbr(first[0], 'es')} "
                f"→ {fmt_number(last[1], pct)} en {month_abbr(last[0], 'es')} ({len(rows)} meses).")
    dims = _DIM_EN[it.group] if en else _DIM_ES[it.group]
    label = (lambda r: _ATTR_EN.get(r[0], r[0]) if en and it.group == "attribute" else str(r[0]))
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
                else f"{'Las' if it.group in ('region', 'category', 'brand') else 'Los'} {len(rows)} {dims[1]} con "
                f"{('más' if it.order == 'desc' else 'menos') if it.metric == 'count' else ('mayor' if it.order == 'desc' else 'menor')} "
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
