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
    "critica", "criticas", "malas", "malos", "mala", "malo", "bad", "poor", "desfavorables", "unfavorable",
    "insatisfechos", "unhappy", "dissatisfied"
}


POS_WORDS = {
    "elogio", "elogios", "positivo", "positivos", "positiva", "positivas", "positive", "praise", "praised",
    "praises", "elogian", "elogiaron", "buenas", "buenos", "buena", "bueno", "good", "favorables",
    "favorable", "satisfechos", "happy", "satisfied"
}


NEU_WORDS = {"neutral", "neutrales", "neutros", "neutro", "neutra", "neutras", "mixed", "mixtas", "mixtos"}


# A polarity adjective as predicate ("¿qué % de los comentarios sobre el precio son negativos?") asks for the
# share among the attribute's mentions; a complaint noun/verb ("% que se quejan del precio") for all comments.
POL_ADJECTIVES = {
    "negativo", "negativos", "negativa", "negativas", "negative", "positivo", "positivos", "positiva",
    "positivas", "positive", "neutral", "neutrales", "neutro", "neutros"
}


MENTION_WORDS = {
    "menciona", "mencionan", "mencionaron", "mencion", "menciones", "mencionando", "mencionado",
    "mencionada", "mencionados", "mencionadas", "mention", "mentions", "mentioned", "mentioning", "hablan",
    "habla", "talk", "talks", "sobre", "about", "acerca", "referidos", "refieren"
}


COUNT_WORDS = {"cuantos", "cuantas", "numero", "cantidad", "count", "many", "number", "total", "conteo",
               "volumen", "volume"}


AVG_WORDS = {"promedio", "promedia", "media", "medio", "average", "mean", "avg", "promedios", "averages"}


RATING_WORDS = {
    "calificacion", "calificaciones", "puntuacion", "puntuaciones", "puntaje", "puntajes", "nota", "notas",
    "estrellas", "estrella", "rating", "ratings", "stars", "star", "score", "scores", "calificado",
    "calificada", "calificados", "calificadas", "rated", "valoracion", "valoraciones", "valorado",
    "valorada", "valorados", "valoradas", "puntuado", "puntuada", "puntuados", "puntuadas", "evaluacion",
    "evaluaciones", "label", "calificacion", "satisfaccion", "satisfaction"
}


# Words after a number that make it a rating ("4 estrellas", "5 stars").
RATING_UNITS = {"estrellas", "estrella", "stars", "star", "puntos", "points", "point"}


SHARE_WORDS = {"porcentaje", "proporcion", "share", "percentage", "percent", "fraccion", "pct", "ratio",
               "tasa", "rate", "parte", "porciento", "proportion", "fraction"}


TREND_WORDS = {
    "tendencia", "evolucion", "evoluciono", "evolucionado", "mensual", "mensualmente", "trend", "trends",
    "monthly", "evolved", "evolve", "cambiado", "changed", "change", "cambio"
}


MOST_WORDS = {"mas", "mayor", "mejor", "top", "most", "highest", "best", "more", "mayores", "mejores", "max",
              "maximo", "maxima", "maximum", "alto", "alta", "altos", "altas", "higher", "high", "greatest",
              "largest", "biggest", "primeros", "primeras", "superior"}


LEAST_WORDS = {"menos", "menor", "peor", "least", "lowest", "worst", "fewer", "fewest", "peores", "menores",
               "min", "minimo", "minima", "minimum", "bajo", "baja", "bajos", "bajas", "lower", "low",
               "smallest", "bottom", "ultimos", "ultimas", "inferior"}


# Grouping / dimension words -> the column they name. Product-like nouns cover what a real file's "product"
# often is (a place, a restaurant, a hotel); region-like nouns what its "region" is (a city, a country).
GROUP_WORDS = {
    **{w: "product" for w in (
        "producto productos product products lugar lugares sitio sitios place places site sites restaurante "
        "restaurantes restaurant restaurants hotel hoteles hotels atraccion atracciones attraction "
        "attractions establecimiento establecimientos local locales articulo articulos item items destino "
        "destinos destination destinations sku skus tienda tiendas store stores").split()},
    **{w: "region" for w in (
        "region regiones regions departamento departamentos department departments ciudad ciudades city "
        "cities pais paises country countries provincia provincias province provinces zona zonas zone zones "
        "location locations ubicacion ubicaciones estado estados state states origen").split()},
    **{w: "channel" for w in "canal canales channel channels".split()},
    **{w: "attribute" for w in
       "atributo atributos attribute attributes aspecto aspectos aspect aspects".split()},
    **{w: "category" for w in "categoria categorias category categories".split()},
    **{w: "brand" for w in "marca marcas brand brands".split()},
    **{w: "month" for w in "mes meses month months".split()},
    **{w: "quarter" for w in "trimestre trimestres quarter quarters".split()},
    **{w: "year" for w in "ano anos year years".split()},
    **{w: "topic" for w in "tema temas topic topics".split()},
    **{w: "lang" for w in "idioma idiomas language languages lengua lenguas".split()},
    # food mentions (analysis.ask.foods): a food, a family of foods ("familia de alimentos" -> "familia")
    **{w: "food" for w in "alimento alimentos comida comidas food foods plato platos dish dishes platillo "
                          "platillos".split()},
    **{w: "food_family" for w in "familia familias family families".split()},
}


# Phrases that ask for a time grouping.
TIME_GROUP_PHRASES = [
    ("month", ("mes a mes", "por mes", "cada mes", "per month", "each month", "by month", "month by month",
               "mes por mes", "over time", "a lo largo del tiempo", "en el tiempo", "mensual", "mensuales",
               "mensualmente", "monthly", "por meses")),
    ("quarter", ("por trimestre", "cada trimestre", "per quarter", "by quarter", "each quarter", "trimestral",
                 "trimestrales", "quarterly", "por trimestres")),
    ("year", ("por ano", "cada ano", "per year", "by year", "each year", "ano a ano", "year by year",
              "anual", "anuales", "anualmente", "yearly", "annual", "annually", "por anos")),
]


# The nouns a question uses for the rows themselves (a comment, a review).
ROW_NOUNS = {
    "comentarios", "comentario", "resenas", "resena", "opiniones", "opinion", "feedback", "reviews", "review",
    "comments", "comment", "valoraciones", "encuestas", "encuesta", "respuestas", "respuesta", "registros",
    "registro", "filas", "fila", "rows", "row", "entries", "entry", "responses", "response", "testimonios",
    "reseña", "evaluaciones", "mensajes", "messages", "posts", "critica", "criticas", "votos", "votes",
}


LENGTH_WORDS = {"longitud", "largo", "larga", "largos", "largas", "extension", "length", "long", "lengths",
                "tamano", "miden", "mide", "medida", "lengthy"}


# Order words that judge quality: "the best / worst place" ranks by the average rating, not by a count.
QUALITY_WORDS = {"mejor", "mejores", "peor", "peores", "best", "worst", "better", "worse"}


# Words that compare values of one dimension: "Lima vs Cusco" groups by region over those values.
DISTRIBUTION_WORDS = {"distribucion", "distribution", "desglose", "breakdown", "reparto"}


COMPARE_WORDS = {"vs", "versus", "frente", "comparado", "comparada", "comparados", "compared", "compare",
                 "comparar", "compara", "contra", "against"}


LENGTH_UNITS = {"caracteres": "chars", "caracter": "chars", "characters": "chars", "character": "chars",
                "chars": "chars", "letras": "chars", "letters": "chars", "palabras": "words",
                "palabra": "words", "words": "words", "word": "words"}


# Verbs that say "the text contains": an unknown word right after one is read as a word to look for.
CONTAIN_VERBS = {"mencionan", "menciona", "mencionaron", "mention", "mentions", "mentioned", "mentioning",
                 "contienen", "contiene", "contengan", "contenga", "contain", "contains", "containing",
                 "dicen", "dice", "digan", "diga", "say", "says", "saying", "incluyen", "incluye", "include",
                 "includes", "including", "usan", "usa", "use", "uses", "using", "hablan", "habla", "talk",
                 "talks", "con", "with"}


WORD_CUES = ("la palabra", "las palabras", "el termino", "los terminos", "la expresion", "la frase",
             "the word", "the words", "the term", "the terms", "the phrase", "word", "palabra", "termino",
             "term")


LANG_PHRASES = [("en espanol", "es"), ("en castellano", "es"), ("in spanish", "es"), ("en ingles", "en"),
                ("in english", "en"), ("spanish", "es"), ("english", "en"), ("espanol", "es"),
                ("ingles", "en")]


# Verbs after which a share's subset begins: "qué % de las reseñas de 2024 | tienen 5 estrellas".
SPLIT_VERBS = {"son", "es", "fueron", "fue", "eran", "era", "tienen", "tiene", "tuvieron", "tuvo",
               "mencionan", "menciona", "dicen", "dice", "contienen", "contiene", "vienen", "viene",
               "provienen", "proviene", "are", "is", "were", "was", "have", "has", "had", "mention",
               "mentions", "contain", "contains", "say", "says", "come", "comes", "came", "rate", "gave",
               "give", "quejan", "complain", "elogian", "praise", "dan", "dieron", "otorgan", "llegan",
               "got", "get", "gets", "reciben", "recibieron", "obtuvieron"}


FILLER = {
    "que", "cual", "cuales", "cuanto", "cuanta", "fue", "es", "son", "era", "eran", "hubo", "hay", "habia",
    "habido", "tuvo", "tiene", "tienen", "tuvieron", "tenemos", "tengo", "recibio", "recibieron", "recibe",
    "reciben", "el", "la", "los", "las", "un", "una", "unos", "unas", "de", "del", "en", "por", "para",
    "con", "sobre", "y", "o", "a", "al", "se", "lo", "le", "les", "sus", "su", "mi", "me", "nos",
    "clientes", "cliente", "consumidores", "consumidor", "personas", "persona", "gente", "usuarios",
    "usuario", "visitantes", "visitante", "turistas", "turista", "compradores", "datos", "dato", "totales",
    "registrados", "registradas", "hecho", "hechos", "dieron", "dio", "what", "which", "was", "is", "are",
    "were", "the", "an", "a", "of", "in", "on", "for", "with", "about", "and", "or", "did", "does", "do",
    "has", "have", "had", "there", "get", "got", "received", "receive", "gets", "bought", "buy",
    "purchased", "compra", "compras", "comprado", "compraron", "customers", "customer", "people", "users",
    "user", "visitors", "visitor", "tourists", "tourist", "buyers", "reviewers", "reviewer", "by", "per",
    "from", "to", "show", "give", "tell", "dame", "muestra", "muestrame", "dime", "como", "how", "much",
    "been", "be", "its", "it", "this", "that", "those", "these", "vez", "veces", "acerca", "respecto",
    "cada", "each", "all", "todos", "todas", "todo", "any", "algun", "alguna", "donde", "where", "mayoria",
    "gusta", "gustan", "mediante", "segun", "via", "through", "as", "general", "overall", "global",
    "globalmente", "conjunto", "en total", "data", "dataset", "base", "archivo", "file", "cuenta",
    "distintos", "distintas", "diferentes", "different", "distinct", "unique", "unicos", "unicas",
    "please", "favor", "porfa", "quiero", "saber", "want", "know", "would", "like", "could", "can", "you",
    "puedes", "podrias", "necesito", "need", "i", "we", "our", "nuestro", "nuestros", "nuestra",
    "nuestras", "exist", "existen", "existe", "hubieron", "tenia", "tenian", "dejaron", "dejo", "left",
    "written", "escritos", "escritas", "escrito", "escrita", "publicados", "publicadas", "posted",
    "made", "recibidos", "recibidas", "obtuvo", "obtuvieron", "obtained", "desde", "hasta", "since",
    "until", "during", "durante", "within", "dentro", "then", "entonces", "tambien", "also", "solo",
    "only", "just", "here", "aqui", "esta", "estan", "este", "estos", "estas", "ese", "esa", "esos",
    "esas", "them", "they", "ellos", "ellas", "their", "approximately", "aproximadamente", "exactamente",
    "exactly", "actualmente", "currently", "mostrar", "listar", "list", "calcula", "calculate", "compute",
    "calcular", "reviewed", "rese", "evaluaron", "valoraron", "calificaron", "opinaron", "dado", "dada",
    "given", "total", "totals", "value", "valor", "at", "cifra", "figure", "numbers", "stats", "estadistica",
    "s", "t", "ll", "re", "ve", "d", "gives", "gave", "giving", "otorga", "otorgan", "da", "dan", "pone",
    "ponen", "hace", "hacen", "ha", "han", "sido", "fueron", "estan", "esta", "there", "whats",
}


# Product nouns in English → the Spanish words in product names (the demo and most Peruvian data); country
# names in English → Spanish (review files store the reviewer's country in Spanish).
PHRASE_ALIASES = [
    ("ice cream", "helado"), ("sweet potato", "camote"), ("plantain chips", "chifles"),
    ("plantain", "platano"),
    ("purple corn", "chicha morada"), ("cookies", "galletas"), ("cookie", "galletas"), ("coffee", "cafe"),
    ("yogurt", "yogur"), ("yoghurt", "yogur"), ("strawberry", "fresa"), ("sauce", "salsa"),
    ("soda", "gaseosa"), ("chocolate bar", "chocolate"),
    ("supermarkets", "supermercado"), ("supermarket", "supermercado"), ("super", "supermercado"),
    ("supermercados", "supermercado"),
    ("online", "ecommerce"), ("internet", "ecommerce"), ("e commerce", "ecommerce"),
    ("redes sociales", "ecommerce"), ("social media", "ecommerce"), ("corner shops", "bodega"),
    ("corner shop", "bodega"), ("corner stores", "bodega"), ("corner store", "bodega"), ("bodegas", "bodega"),
    ("cuzco", "cusco"), ("a partir de", "desde"), ("starting from", "since"), ("starting in", "since"),
    ("united states of america", "estados unidos"), ("united states", "estados unidos"),
    ("the usa", "estados unidos"), ("usa", "estados unidos"), ("eeuu", "estados unidos"),
    ("ee uu", "estados unidos"), ("spain", "espana"), ("brazil", "brasil"), ("germany", "alemania"),
    ("italy", "italia"), ("england", "inglaterra"), ("france", "francia"), ("canada", "canada"),
    ("new zealand", "nueva zelanda"), ("dominican republic", "republica dominicana"),
    ("belgium", "belgica"), ("slovakia", "eslovaquia"), ("switzerland", "suiza"), ("japan", "japon"),
    ("netherlands", "holanda"), ("united kingdom", "reino unido"), ("uk", "reino unido"),
]


# Words of date expressions (analysis.ask.periods reads them).
PERIOD_WORDS = {
    "ultimo", "ultima", "ultimos", "ultimas", "pasado", "pasada", "anterior", "semestre", "semestres", "half",
    "quarter", "trimestre", "previous", "past", "last", "this", "este", "esta", "desde", "since", "hasta",
    "until", "till", "before", "after", "antes", "despues", "ano", "anos", "year", "years", "mes", "meses",
    "month", "months", "dias", "days", "semanas", "weeks", "between", "entre", "from", "through", "primer",
    "primero", "primera", "segundo", "segunda", "tercer", "tercero", "cuarto", "first", "second", "third",
    "fourth", "q1", "q2", "q3", "q4", "h1", "h2", "1er", "2do", "3er", "4to", "1st", "2nd", "3rd", "4th",
}


# Month names a question may use; English "may" is a verb far more often than a month (periods.py reads it
# as a month only next to a year or after "in"/"since"/...).
MONTHS = {k: v for k, v in FULL_NAME_NUMBER.items() if k != "may"}


NUMBER_WORDS = {"un": 1, "una": 1, "uno": 1, "one": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5,
                "seis": 6, "siete": 7, "ocho": 8, "nueve": 9, "diez": 10, "doce": 12, "two": 2, "three": 3,
                "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "twelve": 12}


SPANISH_HINTS = {
    "que", "cual", "cuantos", "cuantas", "en", "el", "la", "los", "las", "de", "del", "hubo", "tuvo", "fue",
    "promedio", "quejas", "por", "comentarios", "y", "desde", "ultimo", "ultima", "mas", "porcentaje",
    "como", "region", "producto", "resenas", "opiniones", "hay", "tienen", "tiene", "calificacion", "con",
    "estrellas", "son", "entre", "mes", "ano", "lugar", "pais", "menos", "palabra", "alimento", "alimentos",
    "mencionan", "menciona", "menciones", "mencionados", "familia", "comida", "bebidas", "productos",
    "regiones", "lugares", "canales", "marcas", "categorias", "meses", "anos"
}


ENGLISH_HINTS = {
    "what", "which", "how", "many", "the", "of", "in", "was", "were", "did", "most", "average",
    "complaints", "since", "last", "and", "share", "by", "per", "month", "region", "product", "comments",
    "about", "reviews", "review", "rating", "stars", "have", "has", "are", "is", "with", "from", "between",
    "year", "place", "country", "percentage", "fewest", "least", "there", "words", "word", "top", "food",
    "foods", "mention", "mentions", "mentioned", "mentioning", "dish", "dishes", "drinks", "family"
}


_SYMBOLS = [(r"(\d)\s*\+", r"\1 o mas "), (r">=|≥", " al menos "), (r"<=|≤", " como maximo "),
            (r">", " mas de "), (r"<", " menos de "), (r"=", " igual a ")]


def norm(text: str) -> str:
    """Lower case, accents stripped, punctuation to spaces ('%' kept as a word, comparison signs as words)."""
    s = unicodedata.normalize("NFKD", str(text).lower())
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    for pat, rep in _SYMBOLS:
        s = re.sub(pat, rep, s)
    s = s.replace("%", " porcentaje ")
    s = re.sub(r"[^a-z0-9ñ ]+", " ", s)
    return re.sub(r"\s+", " ", s).strip()


def fold(text: str) -> str:
    """Lower case and accents stripped, punctuation kept (for values and words in SQL literals)."""
    s = unicodedata.normalize("NFKD", str(text).lower())
    return "".join(ch for ch in s if not unicodedata.combining(ch))


def detect_lang(question: str) -> str:
    toks = norm(question).split()
    es = sum(t in SPANISH_HINTS for t in toks) + 2 * bool(re.search(r"[¿¡ñáéíóú]", question.lower()))
    en = sum(t in ENGLISH_HINTS for t in toks)
    return "en" if en > es else "es"


def all_words() -> frozenset[str]:
    """Every word the vocabulary knows (for typo correction and the unknown-word check)."""
    words = (set(ATTR_OF) | NEG_WORDS | POS_WORDS | NEU_WORDS | MENTION_WORDS | COUNT_WORDS | AVG_WORDS
             | RATING_WORDS | RATING_UNITS | SHARE_WORDS | TREND_WORDS | MOST_WORDS | LEAST_WORDS
             | set(GROUP_WORDS) | ROW_NOUNS | LENGTH_WORDS | set(LENGTH_UNITS) | CONTAIN_VERBS | SPLIT_VERBS
             | FILLER | set(MONTHS) | set(NUMBER_WORDS) | PERIOD_WORDS | QUALITY_WORDS | COMPARE_WORDS
             | DISTRIBUTION_WORDS
             | {"may"})
    for _, phrases in TIME_GROUP_PHRASES:
        for ph in phrases:
            words |= set(ph.split())
    for a, b in PHRASE_ALIASES:   # the targets are values' words: a value must match them
        words |= set(a.split()) - set(b.split())
    for ph in WORD_CUES:
        words |= set(ph.split())
    for ph, _ in LANG_PHRASES:
        words |= set(ph.split())
    return frozenset(w for w in words if " " not in w)


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

    def take(self, phrase: str) -> int:
        """Mark the first free occurrence of `phrase`; its position, or -1."""
        p = phrase.split()
        i = self.find(p)
        if i < 0:
            return -1
        for j in range(i, i + len(p)):
            self.used[j] = True
        return i

    def mark(self, i: int, n: int = 1) -> None:
        for j in range(i, i + n):
            self.used[j] = True

    def free(self) -> list[tuple[int, str]]:
        return [(i, t) for i, t in enumerate(self.toks) if not self.used[i]]

    def at(self, i: int) -> str:
        return self.toks[i] if 0 <= i < len(self.toks) else ""
