"""Food mentions of a comment: which dishes, ingredients and drinks it names, each normalised to an ENTRY
("ceviche", "lomo saltado", "inca kola") and a FAMILY ("mariscos y pescados", "carnes", "bebidas frías").

The lexicon is `models/lexicon/foods.csv` (columns entry, family, variants, lang; see the README there) plus
an optional user file with the same columns (`SABOR_FOOD_LEXICON=/ruta/mis_alimentos.csv`). Each written
form is expanded automatically: Spanish plurals (-s, -es, -z→-ces), diminutives (-ito/-ita, -cito,
"cafecito", "papita", "chelita"), English plurals for `en` rows; text and forms are compared folded
(lower case, no accents, `models.text.fold`), so "CEVICHE", "cebiche" and "Cebichito" are one entry.

All forms are compiled into one trie-shaped regex, matched at word boundaries, longest form first, so a
multi-word entry consumes its words ("leche de tigre" is not "leche", "ají de gallina" not "ají" +
"gallina"). A few words are foods only in context ("vino" the wine vs "el mozo vino tarde", "causa" the
dish vs "a causa de", "té" vs "te", "cancha", "manzana" the city block, "papá"): `_RULES` below decides
them from the neighbouring words. One hit per (entry, clause); offsets point into the original text.

`lexical_polarity` is set only when the clause says something unmistakable about that very food right
next to it ("el pollo estaba seco", "poca carne", "pescado fresquísimo", "no estaba fresco"); otherwise
None and the clause polarity from the model decides.

Speed (this shared 2-core machine): 10,000 mixed real comments (Guía Óleo, Domicilios, TripAdvisor; 230
characters on average) take 0.9-1.3 s with `find_foods`, clause splitting included (the range is the load
of the machine), and 0.5-0.7 s when the clauses are passed in; `load_lexicon` takes about 0.4 s
(`default_lexicon` caches it).
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path

from models.text import evidence_of, fold, polarity_from_probs, split_clauses

LEXICON_DIR = Path(__file__).resolve().parent / "lexicon"
BASE_FILE = LEXICON_DIR / "foods.csv"
ENV_VAR = "SABOR_FOOD_LEXICON"
COLUMNS = ("entry", "family", "variants", "lang")
LANGS = ("es", "en")
REMOVE = "-"          # family "-" in a user file removes the entry

# The fixed families of the base lexicon, in display order (models/lexicon/README.md says what each holds).
FAMILIES = ("mariscos y pescados", "aves", "carnes", "huevos", "lácteos", "papas y tubérculos",
            "granos andinos", "legumbres", "arroces", "pastas", "panes y masas", "sopas y caldos",
            "verduras y ensaladas", "frutas", "frutos secos y semillas", "cereales y harinas",
            "ají y picantes", "salsas y condimentos", "comida rápida", "cocina japonesa y oriental",
            "snacks", "postres y dulces", "bebidas frías", "bebidas calientes", "bebidas alcohólicas")

# Bump when the expansion or the context rules change: it is part of Lexicon.version.
_ALGORITHM = "mentions-1"


# ---------------------------------------------------------------------------------------------------
# Automatic variants


def _norm(form: str) -> str:
    """Folded form with single spaces (hyphens count as spaces: "coca-cola" = "coca cola")."""
    return _squash(fold(form))


def _squash(folded: str) -> str:
    return " ".join(folded.replace("-", " ").split())


_FOLDED: dict[int, str] = {}      # code point -> models.text.fold of that character, filled on demand


def _fold_text(text: str) -> str:
    """`fold(text)`, character by character through a cache (same result, offsets kept, ~10x faster)."""
    low = text.lower()
    if low.isascii():
        return low
    for ch in set(low):
        if ord(ch) > 127 and ord(ch) not in _FOLDED:
            _FOLDED[ord(ch)] = fold(ch)
    return low.translate(_FOLDED)


_PREPS = {"de", "del", "con", "a", "al", "en", "sin", "y", "para", "la", "el", "los", "las", "o"}
# Generated forms that are ordinary words, not the food (checked against the corpora in the README).
_NOT_FOOD = {"rollito", "rollitos", "laureles", "merito", "meritos", "patita", "patitas", "calzones",
             "juanita", "juanitas", "juanito", "juanitos", "toasts", "habita", "tostadito", "tostaditos",
             "motita", "motitas", "purito", "puritos", "manguito", "manguitos", "vaquita", "vaquitas"}
# Written forms that are never foods on their own, only inside their dish forms ("bonito" = pretty,
# "dorada" = golden): no automatic variants are generated from them and their hits are dropped.
_NEVER = {"bonito", "dorada"}


def _es_plurals(w: str) -> set[str]:
    if len(w) < 2 or w[-1] in "sx" or not w.isalpha():
        return set()
    if w[-1] in "aeo":
        return {w + "s"}
    if w[-1] in "iu":
        return {w + "s", w + "es"}
    if w[-1] == "z":
        return {w[:-1] + "ces"}
    return {w + "es", w + "s"}


def _es_diminutives(w: str) -> set[str]:
    if len(w) < 4 or not w.isalpha() or w[-1] == "s":
        return set()
    if w[-1] in "ao":
        stem, v = w[:-1], w[-1]
        if stem[-1] in "aeiou":
            return set()
        if not stem.endswith("zz"):
            stem = {"c": stem[:-1] + "qu", "g": stem[:-1] + "gu", "z": stem[:-1] + "c"}.get(stem[-1], stem)
        return {stem + "it" + v}
    if w[-1] == "e":
        return {w[:-1] + "ito", w[:-1] + "ita", w + "cito", w + "cita"}
    if w[-1] in "nr" or w[-1] in "iu":
        return {w + "cito"}
    if w[-1] == "l":
        return {w + "ito"}
    if w[-1] == "z":
        return {w[:-1] + "cito"}
    return set()


def _expand_es(form: str) -> set[str]:
    """Plural and diminutive forms of a Spanish form; in "papa rellena" the adjective agrees."""
    toks = form.split()
    head, rest = toks[0], toks[1:]
    agree = bool(rest) and rest[0] not in _PREPS and rest[0].isalpha()
    out: set[str] = set()

    def add_plural(h: str) -> None:
        for p in _es_plurals(h):
            if agree:
                for q in _es_plurals(rest[0]):
                    out.add(" ".join([p, q, *rest[1:]]))
            else:
                out.add(" ".join([p, *rest]))

    add_plural(head)
    for d in _es_diminutives(head):
        out.add(" ".join([d, *rest]))
        add_plural(d)
    return out


def _expand_en(form: str) -> set[str]:
    toks = form.split()
    last = toks[-1]
    if not last.isalpha() or len(last) < 3:
        return set()
    if last.endswith(("s", "x", "z", "ch", "sh")):
        plurals = {last + "es"} if not last.endswith("s") else set()
    elif last[-1] == "y" and last[-2] not in "aeiou":
        plurals = {last[:-1] + "ies"}
    elif last[-1] == "o":
        plurals = {last + "s", last + "es"}
    else:
        plurals = {last + "s"}
    return {" ".join([*toks[:-1], p]) for p in plurals}


# ---------------------------------------------------------------------------------------------------
# Context rules for words that are foods only sometimes. Each rule sees the folded text and the hit.

# Forms whose written language must match the comment's (a guess from function words).
_ONLY_IN_SPANISH = {"pan", "panes", "papa", "papas", "sour", "sours", "mate", "mates", "sake", "sakes",
                    "rape", "rapes", "pure", "pures", "mole", "moles", "roll", "rolls", "mote", "motes",
                    "ron", "poke", "pokes", "col", "coles", "name", "names"}
_ONLY_IN_ENGLISH = {"pie", "pies", "cola", "colas", "mayo", "tunas", "ale", "ales", "bun", "buns", "olive",
                    "olives"}
_ES_WORDS = {"el", "la", "de", "que", "y", "en", "los", "las", "un", "una", "muy", "con", "por", "para",
             "pero", "lo", "me", "se", "es", "del", "al", "estaba", "fue", "mas", "su", "nos"}
_EN_WORDS = {"the", "and", "is", "was", "it", "this", "of", "to", "my", "for", "with", "but", "not",
             "very", "they", "are", "have", "i", "these", "that", "in", "you", "so", "like", "good"}
_WORD = re.compile(r"[a-z0-9]+")

# Forms that are not counted when they come right after another food (they are its adjective there:
# "cordero asado", "verduras fritas", "pollo helado"...).
_ADJECTIVAL = {"asado", "asados", "fritas", "picada", "picadas", "helado", "helados", "tostado",
               "tostados", "cortado", "cortados", "estofado", "estofados", "guisado", "guisados"}


def _words_before(low: str, start: int, n: int = 3) -> list[str]:
    return _WORD.findall(low[max(0, start - 40):start])[-n:]


def _words_after(low: str, end: int, n: int = 3) -> list[str]:
    return _WORD.findall(low[end:end + 40])[:n]


def _prev(low: str, start: int) -> str:
    w = _words_before(low, start, 1)
    return w[0] if w else ""


def _next(low: str, end: int) -> str:
    w = _words_after(low, end, 1)
    return w[0] if w else ""


def _next_char(low: str, end: int) -> str:
    rest = low[end:end + 5].lstrip(" ")
    return rest[:1]


_DET = {"el", "un", "del", "al", "los", "unos", "dos", "tres", "cuatro", "su", "sus", "tu", "mi", "este",
        "ese", "otro", "buen", "mal", "con", "de", "excelente", "rico", "gran", "primer", "nuestro"}


def _vino(low, s, e, text, lex):
    # "el vino", "copa de vino", "un buen vino" — not "el mozo vino tarde", "no vino la ensalada"
    if _prev(low, s) not in _DET:
        return False
    return _next(low, e) not in {"a", "hasta", "por", "porque", "cuando", "tarde", "temprano", "rapido",
                                 "enseguida", "corriendo", "sin", "con"}


def _te(low, s, e, text, lex):
    # only the accented "té", or "un te"/"del te" (the pronoun never follows them)
    return "é" in text[s:e].lower() or _prev(low, s) in {"un", "del", "dos", "tres", "otro"}


_FOOD_AFTER_DE = re.compile(r"\s+(de|d)\s+")


def _causa(low, s, e, text, lex):
    # "causa de pollo", "la causa estaba rica", "ceviche y causa" — not "a causa de la demora",
    # "causa, ..." (pal), "una buena causa", the verb ("eso causa malestar")
    prev, nxt = _prev(low, s), _next(low, e)
    if prev in {"a", "por"}:
        return False
    if nxt in {"de", "del", "d"}:
        m = _FOOD_AFTER_DE.match(low, e)
        if not m:
            return False
        food = lex.pattern.match(low, m.end())
        return bool(food) and _squash(food.group(0)) in lex.forms
    if _next_char(low, e) in {",", ":", "!", "?"}:
        return False
    if prev in {"y", "con", "pedi", "pedimos", "probe", "probamos", "e", "una", "unas"} \
            and nxt not in {"que", "justa", "noble", "perdida", "comun"}:
        return True
    return prev in {"la", "las", "otra", "rica", "deliciosa", "exquisita", "buena"} and nxt in {
        "estaba", "estuvo", "llego", "salio", "vino", "muy", "rica", "deliciosa", "exquisita", "buenisima",
        "espectacular", "con", "y", "fria", "caliente", "tambien", "riquisima", "acevichada", "limena",
        "rellena", "no", "era", "es", "esta", "sabia", "tenia", "le", "de", "excelente", "super", "bien"}


def _cancha(low, s, e, text, lex):
    # Peruvian toasted corn, not the football pitch ("la cancha de Boca", "a la cancha")
    prev, nxt = _prev(low, s), _next(low, e)
    if nxt in {"de", "del", "sintetica", "deportiva"}:
        return False
    if prev in {"la", "una"}:
        return nxt in {"estaba", "estuvo", "llego", "vino", "salada", "serrana", "tostada", "chulpe",
                       "crocante", "crujiente", "rica", "riquisima", "dura", "rancia", "con"}
    return prev in {"", "con", "y", "sin", "poca", "mucha", "rica", "su", "tu", "de", "e"}


def _manzana(low, s, e, text, lex):
    # the fruit, not the city block ("a una manzana de", "a media manzana")
    before = " ".join(_words_before(low, s, 2))
    return not re.search(r"(^|\s)(a|cubre|ocupa) (una|media|dos|tres|pocas)$|(media|misma|cada)$", before)


def _papa(low, s, e, text, lex):
    # potato, not "papá"/"mi papa" (dad), "el Papa", "Papa John's", "ni papa"
    if "á" in text[s:e].lower():
        return False
    if _prev(low, s) in {"mi", "tu", "su", "mis", "tus", "sus", "el", "los", "al", "del", "nuestro",
                         "nuestros", "ni"}:
        return False
    return _next(low, e) not in {"john", "johns", "jhons", "jhon", "noel"}


def _capital_proper(low, s, e, text, lex):
    # "Chile" the country, "Pancho" the man
    word = text[s:e]
    return not (word[:1].isupper() and not word.isupper())


def _mate(low, s, e, text, lex):
    return _prev(low, s) not in {"jaque", "me", "te", "se", "lo", "la", "le", "los", "nos", "que"}


def _helado(low, s, e, text, lex):
    # the dessert, not "llegó helado" (ice-cold)
    return _prev(low, s) not in {"esta", "estaba", "estaban", "llego", "llegaron", "vino", "venia",
                                 "muy", "super", "bien", "bastante", "demasiado", "medio", "algo", "casi",
                                 "totalmente", "completamente", "ambiente", "re", "quedo", "servido"}


def _vacio(low, s, e, text, lex):
    # the Argentine cut, not "estaba vacío"
    return _prev(low, s) in {"el", "un", "del", "al", "de", "y", "con", "buen", "rico", "excelente",
                             "tremendo", "o"}


def _picada(low, s, e, text, lex):
    return _prev(low, s) in {"la", "una", "las", "unas", "de", "buena", "gran", "esta", "su", "tu",
                             "excelente", "rica", "abundante", "con", "y", "otra", "pedimos", "pedi"}


def _tostado(low, s, e, text, lex):
    # the Argentine toasted sandwich ("un tostado de jamón y queso"), not the adjective
    return _prev(low, s) in {"un", "el", "los", "unos", "dos", "tres", "del", "al"}


def _cortado(low, s, e, text, lex):
    return _prev(low, s) in {"un", "unos", "dos", "tres", "el", "los", "buen", "rico", "del", "al"} \
        and _next(low, e) not in {"a", "en", "de", "con", "por", "muy", "fino", "grueso", "finamente"}


def _perro(low, s, e, text, lex):
    # Colombian hot dog ("un perro sencillo", "dos perros", "el perro venía sin tocineta"), not the dog
    nxt = _next(low, e)
    if nxt in {"caliente", "calientes", "sencillo", "sencillos", "especial", "especiales", "americano",
               "americanos", "hawaiano", "hawaianos", "super", "mexicano", "ranchero", "suizo", "con",
               "sin", "llego", "llegaron", "venia", "venian", "estaba", "estaban", "frio", "vino"}:
        return True
    return _prev(low, s) in {"dos", "tres", "cuatro", "cinco", "2", "3", "4", "5", "pedi", "pedimos",
                             "del"}


def _suprema(low, s, e, text, lex):
    return "calidad" not in (_prev(low, s), _next(low, e)) and _prev(low, s) not in {"atencion", "corte"}


def _mero(low, s, e, text, lex):
    return _prev(low, s) not in {"ya", "por", "el"} or _next(low, e) in {"a", "al", "en", "con", "estaba"}


def _volcan(low, s, e, text, lex):
    # the chocolate lava cake ("el volcán con helado"), not a volcano or "un volcán de sensaciones"
    after = text[e:e + 20].lstrip()
    return not after[:1].isupper() and _next(low, e) not in {"activo", "apagado", "dormido", "misti", "de"}


def _cava(low, s, e, text, lex):
    # Spanish sparkling wine ("un cava", "copa de cava", "vino o cava"), not the cellar ("buena cava")
    return _prev(low, s) in {"un", "de", "del", "y", "o", "con", "tomar", "tomamos", "bebimos", "bebemos",
                             "pedimos", "el"} \
        and _next(low, e) != "de"


def _agua(low, s, e, text, lex):
    if _prev(low, s) == "boca":               # "se me hace la boca agua"
        return False
    return " ".join(_words_after(low, e, 2)) not in {"de mar", "del mar", "de lluvia", "del rio",
                                                     "de rio", "del lago", "de la"} \
        and _next(low, e) not in {"termal", "termales", "caliente", "potable"}


def _tomate(low, s, e, text, lex):
    # the verb ("tómate la foto", "tómate un café") is not the tomato
    return "ó" not in text[s:e].lower() and _next(low, e) not in {"la", "el", "un", "una", "tu", "tus",
                                                                    "foto", "fotos", "tiempo", "algo"}


def _accent_last(low, s, e, text, lex):
    return not text[s:e].lower().endswith("ó")             # "jugó" is a verb, "jugo" the juice


def _cafe(low, s, e, text, lex):
    # "lechuga café" / "color café" is brown in Colombia; "Café San Juan" / "Café Tortoni" is a place
    if _prev(low, s) in {"color", "lechuga", "lechugas", "tono", "ojos", "pelo", "zapatos"}:
        return False
    after = text[e:e + 20].lstrip()
    return not (text[s:s + 1].isupper() and after[:1].isupper())


def _cafes(low, s, e, text, lex):
    # "bares, cafés y restaurantes" are places
    near = set(_words_before(low, s, 2)) | set(_words_after(low, e, 2))
    return not near & {"bares", "restaurantes", "restaurants", "heladerias", "tiendas", "hoteles", "museos",
                       "galerias", "librerias", "terrazas"}


def _pez(low, s, e, text, lex):
    return _next(low, e) != "urbano"          # a coupon site in Buenos Aires


def _trago(low, s, e, text, lex):
    return _prev(low, s) not in {"la", "lo", "me", "se", "te", "nos", "les", "le"}   # the verb "tragar"


def _fritas(low, s, e, text, lex):
    return _prev(low, s) in {"con", "y", "unas", "las", "sus", "de", "e", "o"}


def _tuna(low, s, e, text, lex):
    # tuna fish; "la tuna" in Spanish is a student band or the cactus fruit
    return _prev(low, s) not in {"la", "una", "las", "unas", "buena"}


def _miel(low, s, e, text, lex):
    return " ".join(_words_before(low, s, 2)) != "luna de"


def _naranja(low, s, e, text, lex):
    return _prev(low, s) not in {"color", "tono", "camiseta", "chaleco", "uniforme"}


def _carambola(low, s, e, text, lex):
    return _prev(low, s) != "por"


def _manteca(low, s, e, text, lex):
    # "la carne era una manteca" (melt-in-the-mouth) is praise, not butter
    return _prev(low, s) != "una"


def _never(low, s, e, text, lex):
    return False


def _rules() -> dict:
    table = {
        _vino: ["vino"], _te: ["te", "tes"], _causa: ["causa", "causas"], _cancha: ["cancha", "canchas"],
        _manzana: ["manzana", "manzanas"], _papa: ["papa", "papas", "papita", "papitas"],
        _capital_proper: ["chile", "chiles", "pancho", "panchos"], _mate: ["mate"],
        _helado: ["helado", "helados"], _vacio: ["vacio", "vacios"], _picada: ["picada", "picadas"],
        _tostado: ["tostado", "tostados"], _cortado: ["cortado", "cortados"],
        _perro: ["perro", "perros", "perrito", "perritos"], _suprema: ["suprema", "supremas"],
        _mero: ["mero", "meros"], _volcan: ["volcan", "volcanes"], _cava: ["cava", "cavas"],
        _agua: ["agua", "aguas"], _fritas: ["fritas"], _tuna: ["tuna"], _miel: ["miel"],
        _naranja: ["naranja"], _carambola: ["carambola"], _manteca: ["manteca"], _pez: ["pez"],
        _trago: ["trago"], _tomate: ["tomate"], _accent_last: ["jugo"], _cafes: ["cafes"], _cafe: ["cafe"],
    }
    table[_never] = sorted(_NEVER)
    return {form: rule for rule, forms in table.items() for form in forms}


_RULES = _rules()


# ---------------------------------------------------------------------------------------------------
# Lexical polarity: a cue about this very food, right next to it.

_POS_AFTER = re.compile(
    r"\b(deliciosa?o?s?|riquisim[oa]s?|exquisit[oa]s?|sabros[oa]s?|sabrosisim[oa]s?|buenisim[oa]s?|"
    r"espectacular(es)?|excelentes?|increibles?|perfect[oa]s?|fresquisim[oa]s?|fresc[oa]s?|tiern[oa]s?|"
    r"tiernisim[oa]s?|jugos[oa]s?|crocantes?|crujientes?|divin[oa]s?|buenaz[oa]s?|bravaz[oa]s?|"
    r"en su punto|a punto|ric[oa]s?|buen[oa]s?|una delicia|un manjar|maravillos[oa]s?|impecables?|"
    r"inmejorables?|de primera|delicious|tasty|great|excellent|amazing|fresh|yummy|perfect)\b")
_NEG_AFTER = re.compile(
    r"\b(sec[oa]s?|resec[oa]s?|crud[oa]s?|quemad[oa]s?|rancia?o?s?|podrid[oa]s?|dur[oa]s?|insipid[oa]s?|"
    r"sos[oa]s?|desabrid[oa]s?|recalentad[oa]s?|fri[oa]s?|heladisim[oa]s?|tibi[oa]s?|aguad[oa]s?|"
    r"vencid[oa]s?|malograd[oa]s?|agri[oa]s?|chiclos[oa]s?|gomos[oa]s?|correos[oa]s?|grasos[oa]s?|"
    r"grasient[oa]s?|aceitos[oa]s?|horribles?|fe[oa]s?|mal[oa]s?|malisim[oa]s?|pesim[oa]s?|"
    r"asqueros[oa]s?|incomibles?|apelmazad[oa]s?|pegotead[oa]s?|mediocres?|"
    r"(muy|demasiado|demasiada|super|bastante|re) (salad[oa]s?|dulces?|acid[oa]s?|picantes?)|"
    r"sin sabor|sin sal|no sab(e|ia|ian) a nada|deja(ba)? mucho que desear|"
    r"stale|dry|burnt|soggy|bland|raw|rotten|awful|terrible|disgusting)\b")
_POS_BEFORE = re.compile(
    r"(\b(buen|buena|buenos|buenas|ric[oa]s?|deliciosa?o?s?|exquisit[oa]s?|excelentes?|riquisim[oa]s?|"
    r"sabros[oa]s?|espectacular(es)?|tremend[oa]s?|delicious|great|excellent|tasty|amazing)"
    r"(\s+(el|la|los|las))?|\b(encant\w*|fascin\w*|recomiendo|recomendamos|love|loved)\s+(el|la|los|las|su|sus|the|this)?)"
    r"\s*$")
_NEG_BEFORE = re.compile(
    r"\b(poc[oa]s?|mal|mala|malos|malas|pesim[oa]s?|horribles?|asqueros[oa]s?|incomibles?|terrible|awful)"
    r"\s+((el|la|los|las)\s+)?$")
# The stretch about a food ends at the next coordinated or subordinate phrase.
_WINDOW_END = re.compile(r",|;|\s(y|e|o|u|pero|que|porque|aunque|mientras|and|but|or)\s")
_NEGATION = re.compile(r"\b(no|nada|ni|nunca|tampoco|poco|not|never|isn't|wasn't|n't)\b")
# Cues that are normal, not complaints, for some families (cold beer, raw fish, dry wine, hard-boiled egg).
_NEUTRAL_FOR = {"bebidas frías": {"fri", "hel", "tib"}, "bebidas alcohólicas": {"fri", "hel", "sec"},
                "postres y dulces": {"fri", "hel", "dur"}, "frutas": {"fri", "hel", "cru"},
                "mariscos y pescados": {"cru"}, "cocina japonesa y oriental": {"cru", "fri"},
                "verduras y ensaladas": {"cru", "fri"}, "huevos": {"dur"}, "snacks": {"dur", "sec"},
                "frutos secos y semillas": {"dur", "sec"}, "lácteos": {"fri", "hel", "dur"},
                "sopas y caldos": {"cru"}}


def _neutral(cue: str, family: str) -> bool:
    return cue[:3] in _NEUTRAL_FOR.get(family, ())


def _polarity(low: str, s: int, e: int, lo: int, hi: int, family: str) -> str | None:
    """Cue in the stretch right after the food (up to the next food or 60 characters) or just before."""
    window = low[e:min(hi, e + 60)]
    lead = re.match(r"\s*,\s*", window)          # "los postres, excelentes"
    cut = _WINDOW_END.search(window, lead.end() if lead else 0)
    if cut is not None:
        window = window[:cut.start()]
    best = None
    for pattern, sign in ((_POS_AFTER, "positive"), (_NEG_AFTER, "negative")):
        for m in pattern.finditer(window):
            if sign == "negative" and _neutral(m.group(0), family):
                continue
            if best is None or m.start() < best[0]:
                best = (m.start(), sign)
            break
    if best is not None:
        start, sign = best
        if start > 45:
            best = None
        else:
            before = window[max(0, start - 16):start]
            if _NEGATION.search(before):
                return "negative" if sign == "positive" else None
            return sign
    head = low[max(lo, s - 40):s]
    if (m := _POS_BEFORE.search(head)) is not None:
        return "negative" if _NEGATION.search(head[max(0, m.start() - 12):m.start()]) else "positive"
    if _NEG_BEFORE.search(head):
        return "negative"
    return None


# ---------------------------------------------------------------------------------------------------
# Lexicon


@dataclass
class Entry:
    entry: str
    family: str
    variants: dict[str, tuple[str, ...]] = field(default_factory=dict)   # lang -> variants as written
    source: str = "base"                                                # "base" or the user file


@dataclass
class Lexicon:
    entries: dict[str, Entry]
    families: tuple[str, ...]
    version: str
    sources: tuple[str, ...]
    forms: dict[str, tuple[str, str]]          # folded form -> (entry, lang of the row it came from)
    collisions: list[tuple[str, str, str]]     # (form, entry kept, entry dropped) at equal priority
    pattern: re.Pattern

    def family_of(self, entry: str) -> str:
        return self.entries[entry].family

    def __len__(self) -> int:
        return len(self.entries)


def _trie_regex(forms: list[str]) -> str:
    """One alternation shaped as a trie; at each node longer continuations are tried first."""
    trie: dict = {}
    for f in forms:
        node = trie
        for ch in f:
            node = node.setdefault(ch, {})
        node[""] = True

    def emit(node: dict) -> str:
        end = node.get("") is True
        alts = []
        for ch in sorted(k for k in node if k):
            piece = r"[\s\-]+" if ch == " " else re.escape(ch)
            alts.append(piece + emit(node[ch]))
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if end:
            return "(?:" + body + ")?"
        return body

    return emit(trie)


def _read_rows(path: Path, user: bool) -> list[dict]:
    """Rows of a lexicon CSV, validated; errors name the file, the row (line) and the problem."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ValueError(f"{path}: el archivo de alimentos no existe") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: no es UTF-8 ({exc.reason} en el byte {exc.start})") from None
    # comment lines ("# ...") are allowed in user files; they stay as blank lines so numbers match the file
    lines = ["" if user and ln.lstrip().startswith("#") else ln for ln in text.splitlines()]
    reader = csv.reader(lines)
    header = next((r for r in reader if any(c.strip() for c in r)), None)
    if header is None:
        raise ValueError(f"{path}: el archivo está vacío (se espera la cabecera {','.join(COLUMNS)})")
    header_line = reader.line_num
    header = [h.strip().lower() for h in header]
    needed = COLUMNS[:3] if user else COLUMNS
    missing = [c for c in needed if c not in header]
    if missing:
        raise ValueError(f"{path}: fila {header_line}: falta la columna "
                         f"{', '.join(repr(c) for c in missing)} "
                         f"(cabecera: {','.join(header)}; se espera {','.join(COLUMNS)})")
    idx = {c: header.index(c) for c in COLUMNS if c in header}
    rows = []
    for row in reader:
        n = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            raise ValueError(f"{path}: fila {n}: {len(row)} columnas y la cabecera tiene {len(header)} "
                             "(¿una coma sin comillas en las variantes? sepáralas con '|')")
        cell = {c: (row[i].strip() if i < len(row) else "") for c, i in idx.items()}
        entry = " ".join(cell["entry"].lower().split())
        if not entry:
            raise ValueError(f"{path}: fila {n}: la columna 'entry' está vacía")
        lang = (cell.get("lang") or "es").lower()
        if lang not in LANGS:
            raise ValueError(f"{path}: fila {n}: lang {lang!r} no válido (use 'es' o 'en')")
        family = " ".join(cell["family"].lower().split())
        if not user and family not in FAMILIES:
            raise ValueError(f"{path}: fila {n}: familia {family!r} desconocida")
        variants = tuple(v for v in (" ".join(x.lower().split()) for x in cell["variants"].split("|")) if v)
        rows.append({"entry": entry, "family": family, "variants": variants, "lang": lang, "row": n})
    return rows


def _merge(entries: dict[str, Entry], rows: list[dict], source: str, user: bool) -> None:
    by_fold = {_norm(k): k for k in entries}
    for r in rows:
        key = by_fold.get(_norm(r["entry"]))
        if user and r["family"] == REMOVE:
            if key is not None:
                del entries[key]
                del by_fold[_norm(key)]
            continue
        if key is None:
            if not r["family"]:
                raise ValueError(f"{source}: fila {r['row']}: '{r['entry']}' es nueva y no tiene familia")
            key = r["entry"]
            entries[key] = Entry(key, r["family"], {}, source)
            by_fold[_norm(key)] = key
        elif not user and r["lang"] in entries[key].variants:
            raise ValueError(f"{source}: fila {r['row']}: '{r['entry']}' ({r['lang']}) está repetida")
        e = entries[key]
        if r["family"]:
            if not user and e.family != r["family"]:
                raise ValueError(f"{source}: fila {r['row']}: '{r['entry']}' tiene dos familias "
                                 f"({e.family!r} y {r['family']!r})")
            e.family = r["family"]
        if r["variants"] or r["lang"] not in e.variants:
            e.variants[r["lang"]] = r["variants"]
        if user:
            e.source = source


def _build(entries: dict[str, Entry], sources: tuple[str, ...]) -> Lexicon:
    # priority: user rows beat base rows; a written form beats a generated one
    best: dict[str, tuple[tuple[int, int], str, str]] = {}
    collisions = []
    for e in entries.values():
        rank = 1 if e.source != "base" else 0
        for lang, variants in e.variants.items():
            written = {_norm(v) for v in variants}
            if lang == "es":
                written.add(_norm(e.entry))
            generated = set()
            for f in written - _NEVER:
                generated |= _expand_es(f) if lang == "es" else _expand_en(f)
            generated -= written
            generated -= _NOT_FOOD
            for forms, explicit in ((written, 1), (generated, 0)):
                for f in forms:
                    prio = (rank, explicit)
                    old = best.get(f)
                    if old is None or prio > old[0]:
                        best[f] = (prio, e.entry, lang)
                    elif prio == old[0] and old[1] != e.entry and explicit:
                        collisions.append((f, old[1], e.entry))
    forms = {f: (entry, lang) for f, (_, entry, lang) in best.items()}
    known = [f for f in FAMILIES if any(e.family == f for e in entries.values())]
    extra = sorted({e.family for e in entries.values()} - set(FAMILIES))
    canon = sorted((e.entry, e.family, sorted((k, list(v)) for k, v in e.variants.items()))
                   for e in entries.values())
    version = hashlib.sha256(json.dumps([_ALGORITHM, canon], ensure_ascii=False).encode()).hexdigest()[:12]
    body = _trie_regex(sorted(forms))
    pattern = re.compile(r"(?<![\w])(?:" + body + r")(?![\w])")
    return Lexicon(entries, tuple(known + extra), version, sources, forms, collisions, pattern)


def load_lexicon(extra: str | Path | None = None) -> Lexicon:
    """The base lexicon plus the user file `extra` (or $SABOR_FOOD_LEXICON when `extra` is None;
    `extra=""` means the base lexicon only).

    User rows add entries, or override an existing entry's family and (for that language) its
    variants; family "-" removes an entry; unknown families are allowed there. A malformed file raises
    ValueError naming the file, the row and what is wrong.
    """
    entries: dict[str, Entry] = {}
    _merge(entries, _read_rows(BASE_FILE, user=False), str(BASE_FILE), user=False)
    sources = [str(BASE_FILE)]
    if extra is None:
        extra = os.environ.get(ENV_VAR) or None
    if extra:
        path = Path(extra).expanduser()
        _merge(entries, _read_rows(path, user=True), str(path), user=True)
        sources.append(str(path))
    return _build(entries, tuple(sources))


_CACHE: dict[tuple, Lexicon] = {}


def default_lexicon() -> Lexicon:
    """`load_lexicon()` cached per value of $SABOR_FOOD_LEXICON and the files' modification times."""
    extra = os.environ.get(ENV_VAR) or None
    stamp = tuple(Path(p).stat().st_mtime_ns if Path(p).exists() else 0 for p in (BASE_FILE, extra) if p)
    key = (extra, stamp)
    if key not in _CACHE:
        _CACHE.clear()
        _CACHE[key] = load_lexicon(extra)
    return _CACHE[key]


# ---------------------------------------------------------------------------------------------------
# Detection


@dataclass
class FoodMention:
    entry: str                   # normalised display name, e.g. "ceviche"
    family: str                  # e.g. "mariscos y pescados"
    clause: int                  # index into the text's clause list
    start: int                   # cue position in the original text
    end: int
    cue: str                     # the text as written ("cebichito")
    lexical_polarity: str | None = None   # 'positive' / 'negative' when a cue next to it decides


def _lang(low: str) -> str:
    words = _WORD.findall(low)
    en = sum(w in _EN_WORDS for w in words)
    es = sum(w in _ES_WORDS for w in words)
    return "en" if en > es else "es"


def find_foods(text: str, clauses: list[tuple[int, int]] | None = None,
               lexicon: Lexicon | None = None) -> list[FoodMention]:
    """Food mentions of `text`, one per (entry, clause), in text order."""
    if not text:
        return []
    lex = lexicon or default_lexicon()
    clauses = split_clauses(text) if clauses is None else clauses
    low = _fold_text(text)
    if len(low) != len(text):         # a character whose lower case is longer ("İ"): fold one by one
        low = "".join((fold(ch) or ch)[0] for ch in text)
    starts = [a for a, _ in clauses]
    lang = None
    seen: set[tuple[str, int]] = set()
    found: list[FoodMention] = []
    prev_end = None
    for m in lex.pattern.finditer(low):
        s, e = m.span()
        form = _squash(m.group(0))
        hit = lex.forms.get(form)
        if hit is None:
            continue
        entry, _row_lang = hit
        if form in _ONLY_IN_SPANISH or form in _ONLY_IN_ENGLISH:
            lang = lang or _lang(low)
            if (form in _ONLY_IN_SPANISH) != (lang == "es"):
                continue
        rule = _RULES.get(form)
        if rule is not None and not rule(low, s, e, text, lex):
            continue
        if form in _ADJECTIVAL and prev_end is not None and not low[prev_end:s].strip():
            continue
        ci = bisect_right(starts, s) - 1
        if ci < 0 or s >= clauses[ci][1]:
            continue
        prev_end = e
        if (entry, ci) in seen:
            continue
        seen.add((entry, ci))
        found.append(FoodMention(entry, lex.entries[entry].family, ci, s, e, text[s:e]))
    for i, fm in enumerate(found):
        lo, hi = clauses[fm.clause]
        nxt = [o.start for o in found[i + 1:] if o.clause == fm.clause]
        prv = [o.end for o in found[:i] if o.clause == fm.clause]
        fm.lexical_polarity = _polarity(low, fm.start, fm.end, max([lo, *prv]), min([hi, *nxt]), fm.family)
    return found


def food_rows(text: str, clauses: list[tuple[int, int]], mentions: list[FoodMention],
              clause_probs) -> list[dict]:
    """One row per food mention with its polarity: the cue next to the food when it says something
    unmistakable, else the clause's sentiment (`clause_probs`: (len(clauses), 3) [neg, neu, pos])."""
    rows = []
    for m in mentions:
        p = clause_probs[m.clause]
        score = float(p[2] - p[0])
        pol = m.lexical_polarity or polarity_from_probs(p)
        if m.lexical_polarity == "negative":
            score = min(score, -0.5)
        elif m.lexical_polarity == "positive":
            score = max(score, 0.5)
        rows.append({"entry": m.entry, "family": m.family, "polarity": pol, "score": round(score, 4),
                     "evidence": evidence_of(text, clauses[m.clause], m.start), "start": m.start,
                     "end": m.end, "cue": m.cue})
    return rows
