"""The words the built-in answerer understands, in Spanish and English, and how a question is normalised.

Deliberately closed: every word of a question must be one of these, a value found in the data or a date
expression, or the question is declined with the unknown words."""
from __future__ import annotations

import re
import unicodedata

from analysis.months import FULL_NAME_NUMBER

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
    ("ice cream", "helado"), ("sweet potato", "camote"), ("plantain chips", "chifles"),
    ("plantain", "platano"),
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


# -- parsing -----------------------------------------------------------------------------------------
class Tokens:
    """The words of a normalised question, each marked once a recogniser has used it."""
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
