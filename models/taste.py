"""Taste attributes of a comment, each with a polarity, from the clause that mentions it.

Detection is a Spanish + English lexicon (stems, Peruvian words such as "empalagoso", "ají", "rocoto",
"chancaca", "bravazo"), matched accent-insensitively on the clause, optionally widened by embedding
similarity of the clause vector to a few prototype phrases per attribute (paraphrases: "no sabe a
nada" → sabor). Polarity comes from the sentiment head applied to the clause's own vector (pooled from
the same encoder pass as the comment) and is overridden by lexical cues that are complaints about
taste whatever the tone ("muy dulce", "demasiado salado", "le falta sal", "too sweet").

A clause is a stretch between sentence punctuation, commas or contrast words (pero, aunque, but...),
so "el sabor está bravazo pero el empaque se rompe" gives sabor + and empaque −.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np

from models.taxonomy import ATTRIBUTES, POLARITIES

# Patterns are written without accents (text is folded the same way) and matched at word starts.
# A trailing \w* makes a stem; patterns end at a word boundary.
LEXICON: dict[str, list[str]] = {
    "dulce": [r"dulce(s|ro|rillo)?", r"dulz\w*", r"empalag\w*", r"azucar\w*", r"chancaca", r"almibar\w*",
              r"endulz\w*", r"acaramelad\w*", r"meloso", r"sweet\w*",
              r"(?<!blood )(?<!no )sugar(y|s)?(?! added)", r"cloying\w*", r"syrupy", r"sugary"],
    "salado": [r"salad[oa]s?", r"saladisim\w*", r"sal", r"salobre", r"salinidad", r"sodio", r"salty",
               r"saltiness", r"salt", r"salted", r"sodium", r"unsalted", r"salt-free"],
    "picante": [r"picant\w*", r"pica(ba|n)?", r"picor\w*", r"aji(es)?", r"rocoto\w*", r"chile(s)?",
                r"jalapen\w*", r"habanero\w*", r"spic(y|iness|ier)", r"hot sauce", r"chipotle",
                r"peppery", r"cayenne", r"sriracha", r"guindilla\w*"],
    "ácido": [r"acid[oa]s?", r"acidez", r"acidic", r"agri[oa]s?", r"avinagrad\w*", r"vinagre", r"sour\w*",
              r"tang(y)?", r"tartness", r"vinegar\w*", r"citric\w*", r"citrico\w*"],
    "amargo": [r"amarg\w*", r"bitter\w*", r"regusto", r"aftertaste", r"after-taste", r"after taste"],
    "sabor": [r"sabor\w*", r"sab(e|en|ia|ian) a", r"sabros\w*", r"insipid\w*", r"sos[oa]s?", r"desabrid\w*",
              r"sazon\w*", r"delicios\w*", r"delicia\w*", r"incomible\w*", r"inedible", r"exquisit\w*",
              r"riquisim\w*", r"ric[oa]s?(?!\s+en\b)", r"umami", r"bravazo\w*", r"paladar", r"flavou?r\w*",
              r"tast(e|es|y|ed|ing|eless|er)(?! buds)", r"delicious\w*", r"yumm?y", r"bland\w*", r"savou?ry"],
    "aroma": [r"aroma\w*", r"olor\w*", r"huel[ea]n?", r"oli(a|an)", r"fragan\w*", r"perfum\w*", r"smell\w*",
              r"fragrant", r"odou?r\w*", r"scent\w*", r"fragrance\w*"],
    "textura": [r"textur\w*", r"crujient\w*", r"crocant\w*", r"chiclos\w*", r"gomos\w*", r"cremos\w*",
                r"esponjos\w*", r"pastos\w*", r"jugos[oa]s?", r"tiern[oa]s?", r"blandit?[oa]s?",
                r"correos[oa]s?", r"se deshac\w*", r"crunch\w*", r"crisp\w*", r"chewy", r"chewiness",
                r"soggy", r"mushy", r"creamy", r"textur\w*", r"tender", r"grainy", r"gritty", r"rubbery",
                r"fluffy", r"consistenc\w*", r"consistency", r"crumb\w*",
                r"melts? in (the|your|my|his|her) mouth", r"pulp\w*", r"clump\w*"],
    "frescura": [r"fresc[oa]s?", r"frescura", r"fresh\w*", r"rancio\w*", r"rancid", r"caducad\w*",
                 r"vencid[oa]s?", r"podrid\w*", r"mohos\w*", r"moho", r"stale", r"rotten", r"expir\w*",
                 r"spoil\w*", r"mold\w*", r"mould\w*"],
    "temperatura": [r"fri[oa]s?", r"frialdad", r"calient\w*", r"tibi[oa]s?", r"templad[oa]s?",
                    r"temperatura", r"recalentad\w*", r"congelad[oa]s?", r"cold", r"lukewarm", r"warm\w*",
                    r"temperature", r"reheat\w*"],
    "precio": [r"preci\w*", r"car[oa]s", r"caro", r"carisim\w*",
               r"(muy|algo|poco|bastante|demasiado|mas) cara", r"barat\w*", r"economic\w*", r"cuesta\w*",
               r"costo\w*", r"coste\w*", r"pag(ar|amos|ue|o|as)", r"euros?", r"pesos", r"soles",
               r"calidad[- ]precio", r"relacion calidad", r"oferta\w*", r"dinero", r"price\w*", r"money",
               r"deal", r"pricey", r"expensive", r"cheap\w*", r"overpriced", r"costs?", r"costly",
               r"dollars?", r"bucks", r"worth the money", r"for the money", r"value for", r"\$\s?\d+",
               r"\d+\s?\$", r"\d+\s?(€|eur)"],
    "porción": [r"porcion\w*", r"racion\w*", r"(poca|escasa|buena|mucha) cantidad",
                r"cantidad (justa|escasa|generosa|abundante|de comida)", r"tamano\w*", r"abundant\w*",
                r"escas[oa]s?", r"generos[oa]s?", r"se queda con hambre", r"te quedas con hambre",
                r"calidad[- ]cantidad", r"la cantidad que", r"plato\w* (muy )?(grande|pequen)\w*",
                r"portion\w*", r"serving\w*", r"quantity", r"\d+\s?(oz|ounces?|gramos|kg|lb|pounds?)",
                r"size\w*"],
    "empaque": [r"empaqu\w*", r"envase\w*", r"envasad\w*", r"embalaj\w*", r"envoltori\w*", r"envuelt\w*",
                r"packag\w*", r"package\w*", r"wrapp\w*", r"sealed", r"seal", r"resealable"],
    "saludable": [r"saludable\w*", r"san[oa]s?", r"(100 ?% |all[- ]|tod[oa]s? )natural(es)?",
                  r"producto\w* natural\w*", r"organic\w*", r"organic[oa]s?", r"healthy", r"healthier",
                  r"health", r"calori\w*", r"grasos\w*", r"grasient\w*", r"gluten\w*", r"sugar[- ]free",
                  r"sin azucar", r"diet\w*", r"nutri\w*", r"vitamin\w*", r"artificial\w*", r"conservant\w*",
                  r"preservative\w*", r"chemical\w*", r"quimic\w*", r"fat[- ]free", r"low[- ]fat", r"greasy",
                  r"fiber", r"no sugar added", r"blood (sugar|pressure)",
                  r"good for (him|her|you|them|kids|children|me|us)"],
    "ingredientes": [r"ingredient\w*", r"materia prima", r"aditiv\w*", r"additive\w*", r"hech[oa]s? con",
                     r"elaborad[oa]s? con", r"made with", r"made from", r"contains", r"contiene\w*",
                     r"corn syrup", r"jarabe", r"msg", r"glutamato", r"soy lecithin", r"lecitina"],
}

# Complaints about the taste itself, whatever the tone of the sentence (applied per attribute).
_INTENS = r"(muy|demasiad[oa]s?|super|sumamente|excesivamente|extremadamente|tan|bastante|algo|un poco|" \
          r"too|overly|very|extremely|way too|so|excessively)"
NEGATIVE_CUES: dict[str, list[str]] = {
    "dulce": [_INTENS + r" (dulce|dulz\w*|azucarad\w*|sweet|sugary)", r"empalag\w*", r"cloying\w*",
              r"sickly sweet"],
    "salado": [_INTENS + r" (salad[oa]s?|salty)", r"(le )?falta(ba)? (de )?sal", r"sin sal",
               r"needs? (more )?salt", r"salobre"],
    "picante": [_INTENS + r" (picante|spicy|hot)", r"(no|nada) pica", r"not spicy", r"no heat"],
    "ácido": [_INTENS + r" (acid[oa]|agri[oa]|sour|tart|acidic)", r"avinagrad\w*", r"rancid"],
    "amargo": [_INTENS + r" (amarg[oa]|bitter)", r"(regusto|aftertaste|after-taste|after taste)"],
    "sabor": [r"insipid\w*", r"sos[oa]s?", r"desabrid\w*", r"(sin|falta de|le falta) (sabor|sazon)",
              r"(no|nada de) sabor", r"no sabe a nada", r"tasteless", r"bland\w*", r"no flavou?r",
              r"lacks? flavou?r",
              r"(sabor|taste|flavou?r) (a |of )?(plastico|plastic|quemado|burnt|cardboard|carton)",
              (r"(sabe|saben|sabia|sabian|tastes?|tasted) (a |like )"
               r"(plastico|plastic|quemado|burnt|cardboard|carton|"
               r"nada|rancio|viejo|jabon|soap|metal|chemicals?|medicine|medicina)"),
              r"(tastes?|tasted|sabe|sabia) (like )?(awful|horrible|terrible|bad|fatal|mal)",
              r"(mal|horrible|terrible|awful|bad|nasty|weird|strange|raro) (sabor|taste|flavou?r)"],
    "aroma": [r"(mal|feo|fuerte|horrible) olor", r"huele mal",
              r"(bad|awful|strange|weird|funny|terrible) (smell|odou?r)",
              r"smell(s|ed)? (bad|awful|funny|terrible)", r"apest\w*", r"stinks?"],
    "textura": [r"chiclos\w*", r"gomos\w*", r"pastos\w*", r"correos[oa]s?", r"soggy", r"mushy", r"rubbery",
                r"gritty", r"grainy", _INTENS + r" (dur[oa]s?|sec[oa]s?|hard|dry|tough|chewy|blanda?o?)"],
    "frescura": [r"rancio\w*", r"rancid", r"caducad\w*", r"vencid[oa]s?", r"podrid\w*", r"mohos\w*", r"moho",
                 r"stale", r"rotten", r"expired", r"spoiled", r"mou?ldy?", r"(no|poco|nada) fresc[oa]s?",
                 r"not fresh", r"no era fresc[oa]"],
    "temperatura": [r"(llego|llegaron|estaba|estaban|servid[oa]s?) fri[oa]s?", r"tibi[oa]s?", r"lukewarm",
                    r"(was|were|arrived|came) cold", r"recalentad\w*", r"reheated"],
    "precio": [r"car[oa]s", r"caro", r"carisim\w*", r"(muy|algo|poco|bastante|demasiado|mas) cara",
               r"expensive", r"overpriced", r"pricey", r"costly", r"rip[- ]?off", r"not worth",
               r"no vale (la pena|lo que)", r"precio (excesivo|elevado|alto)",
               r"precios (excesivos|elevados|altos)", r"(high|steep) price"],
    "porción": [r"escas[oa]s?", (r"(porcion|racion|porciones|raciones|cantidad)\w* (muy |un poco |algo )?"
                r"(pequen|chic|minus|escas|reducid)\w*"), r"(small|tiny) (portion|serving|amount)\w*",
                r"se queda con hambre", r"te quedas con hambre", r"tiny"],
    "empaque": [r"(roto|rota|rotos|rotas|rompe\w*|rompi\w*|abiert[oa]s?|aplastad\w*|dañad\w*|danad\w*)",
                r"(broken|broke|crushed|damaged|leak\w*|dented|torn|opened|smashed|busted)"],
    "saludable": [r"grasient\w*", r"greasy", r"artificial\w*", r"chemical\w*", r"quimic\w*",
                  r"(lleno|llena|full) (de|of) (azucar|sugar|grasa|fat|conservantes|preservatives)"],
    "ingredientes": [r"corn syrup", r"jarabe de maiz", r"msg", r"glutamato", r"aditiv\w*", r"additive\w*",
                     r"preservative\w*", r"conservant\w*"],
}
POSITIVE_CUES: dict[str, list[str]] = {
    "precio": [r"barat\w*", r"economic\w*", r"buen precio",
               r"precio (razonable|justo|adecuado|asequible|economico)",
               r"calidad[- ]precio (buena|excelente|inmejorable|muy buena|perfecta)",
               r"(buena|excelente|inmejorable|muy buena|gran) (relacion )?calidad[- ]precio", r"cheap\w*",
               r"(good|great|reasonable|fair) (value|price)\w*", r"worth (it|the)", r"affordable", r"bargain",
               r"vale la pena", r"gratis"],
    "sabor": [r"bravaz\w*",
              (r"(taste|tastes|tasted|flavou?r|flavou?rs) (is |was |are |were )?(really |very |so )?"
               r"(great|good|amazing|excellent|wonderful|fantastic|delicious|awesome)"),
              (r"(sabor|sabe|sabia|sabian) (es |era |esta |estaba )?(muy |super )?"
               r"(bien|ric[oa]|buen[oa]|buenisim[oa]|excelente|espectacular|increible)"),
              r"deliciosa?s?", r"riquisim\w*", r"exquisit\w*", r"sabros\w*", r"delicious\w*", r"yumm?y",
              r"tasty", r"(muy|super|que) ric[oa]s?", r"buen(isimo)? sabor", r"great (taste|flavou?r)"],
    "frescura": [r"(muy |super )?fresc[oa]s?", r"fresh\w*", r"del dia"],
    "porción": [r"abundant\w*", r"generos[oa]s?", r"(porcion|racion)\w* (grande|abundante|generosa)\w*",
                r"(large|generous|big|huge) (portion|serving)\w*"],
    "textura": [r"crujient\w*", r"crocant\w*", r"tiern[oa]s?", r"jugos[oa]s?", r"crunchy", r"crispy",
                r"tender", r"creamy", r"fluffy", r"se deshace en la boca", r"melts in"],
    "aroma": [r"(buen|rico|delicioso|agradable) (olor|aroma)", r"huele (bien|rico|delicioso)",
              r"(great|nice|good|wonderful|lovely) (smell|aroma|scent)",
              r"smells (great|good|wonderful|amazing)"],
    "saludable": [r"saludable\w*", r"healthy", r"healthier", r"organic\w*", r"organic[oa]s?", r"natural(es)?",
                  r"sin azucar", r"sugar[- ]free", r"low[- ]fat", r"fat-free"],
}
_CONTAINER_WORDS = [r"bolsa\w*", r"lata(s)?", r"frasco\w*", r"caja\w*", r"botella\w*", r"box(es)?", r"bags?",
                    r"cans", r"jars?", r"containers?", r"bottles?", r"tins?", r"pouch\w*", r"carton\w*"]
_NEGATION = re.compile(r"\b(no|nunca|nada|ni|sin|not|never|no es|isn't|wasn't|n't)\b")


def fold(text: str) -> str:
    """Lowercase and strip accents keeping one character per character (offsets stay valid)."""
    out = []
    for ch in text.lower():
        d = unicodedata.normalize("NFD", ch)
        out.append(d[0] if d and len(d[0]) == 1 else ch)
    return "".join(out)


def _compile(patterns: list[str]) -> re.Pattern:
    return re.compile(r"(?<![\w$€])(?:" + "|".join(patterns) + r")(?!\w)")


_LEX = {a: _compile(p) for a, p in LEXICON.items()}
_NEG = {a: _compile(p) for a, p in NEGATIVE_CUES.items()}
_POS = {a: _compile(p) for a, p in POSITIVE_CUES.items()}
_CONTAINER = _compile(_CONTAINER_WORDS)

# Clause boundaries: sentence punctuation, commas, semicolons, line breaks and contrast words.
_SPLIT = re.compile(r"[.!?;:\n()]+|,|\s(?=(pero|aunque|sin embargo|mientras que|excepto|salvo|but|although|"
                    r"though|however|except|whereas)\b)", re.IGNORECASE)
MAX_EVIDENCE = 160


def split_clauses(text: str) -> list[tuple[int, int]]:
    """Character spans of the clauses of `text` (non-empty, stripped)."""
    spans, start = [], 0
    for m in _SPLIT.finditer(text):
        spans.append((start, m.start()))
        start = m.end() if m.group(0).strip() else m.start()
    spans.append((start, len(text)))
    out = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b - a >= 2:
            out.append((a, b))
    return out


@dataclass
class Mention:
    attribute: str
    clause: int                  # index into the text's clause list
    start: int                   # cue position in the text (for highlighting)
    end: int
    cue: str
    lexical: str | None          # 'negative' / 'positive' when a taste-specific cue decides


def find_mentions(text: str, clauses: list[tuple[int, int]] | None = None) -> list[Mention]:
    """Lexicon hits, one per (attribute, clause), with lexical polarity cues when present."""
    clauses = split_clauses(text) if clauses is None else clauses
    low = fold(text)
    found: list[Mention] = []
    for ci, (a, b) in enumerate(clauses):
        seg = low[a:b]
        for attr in ATTRIBUTES:
            m = _LEX[attr].search(seg)
            if not m and attr == "empaque" and _NEG["empaque"].search(seg):
                # a container noun counts as packaging only when its state is described
                m = _CONTAINER.search(seg)
            if not m:
                continue
            lexical = None
            neg = _NEG.get(attr)
            pos = _POS.get(attr)
            if neg is not None and neg.search(seg):
                lexical = "negative"
            elif pos is not None and (pm := pos.search(seg)):
                # "no es barato", "not fresh": a negation just before the positive cue flips it
                before = seg[max(0, pm.start() - 12):pm.start()]
                lexical = "negative" if _NEGATION.search(before) else "positive"
            found.append(Mention(attr, ci, a + m.start(), a + m.end(), text[a + m.start():a + m.end()],
                                 lexical))
    return found


# Prototype phrases for the similarity path (paraphrases the lexicon misses).
PROTOTYPES: dict[str, list[str]] = {
    "dulce": ["está muy dulce", "demasiada azúcar", "too sweet"],
    "salado": ["está muy salado", "le falta sal", "too salty"],
    "picante": ["pica mucho", "muy picante", "very spicy"],
    "ácido": ["está ácido", "sabe agrio", "very sour"],
    "amargo": ["sabe amargo", "tiene un regusto amargo", "bitter aftertaste"],
    "sabor": ["no sabe a nada", "tiene buen sabor", "it tastes great"],
    "aroma": ["huele muy bien", "tiene un olor raro", "it smells bad"],
    "textura": ["la textura es crujiente", "está duro y seco", "soggy texture"],
    "frescura": ["no estaba fresco", "el pescado es fresco", "it was stale"],
    "temperatura": ["la comida llegó fría", "estaba caliente", "it arrived cold"],
    "precio": ["es muy caro para lo que es", "buena relación calidad precio", "too expensive"],
    "porción": ["las porciones son pequeñas", "raciones abundantes", "small portions"],
    "empaque": ["el empaque llegó roto", "la bolsa venía abierta", "the package was damaged"],
    "saludable": ["es un producto sano y natural", "tiene mucha grasa", "healthy snack"],
    "ingredientes": ["los ingredientes son de calidad", "contiene conservantes",
                     "made with real ingredients"],
}


def polarity_from_probs(p: np.ndarray, margin: float = 0.0) -> str:
    """Clause polarity from [neg, neu, pos] probabilities."""
    k = int(np.argmax(p))
    return POLARITIES[k]


def attribute_rows(text: str, clauses: list[tuple[int, int]], mentions: list[Mention],
                   clause_probs: np.ndarray) -> list[dict]:
    """One row per attribute of the text (several clauses → strongest evidence wins ties by order).

    `clause_probs`: (len(clauses), 3) sentiment probabilities of each clause's vector.
    """
    rows: dict[str, dict] = {}
    for m in mentions:
        p = clause_probs[m.clause]
        score = float(p[2] - p[0])
        pol = m.lexical or polarity_from_probs(p)
        if m.lexical == "negative":
            score = min(score, -0.5)
        elif m.lexical == "positive":
            score = max(score, 0.5)
        a, b = clauses[m.clause]
        ev = text[a:b]
        if len(ev) > MAX_EVIDENCE:   # keep the cue visible in a long clause
            s = max(a, min(m.start - MAX_EVIDENCE // 2, b - MAX_EVIDENCE))
            ev = text[s:s + MAX_EVIDENCE]
        row = {"attribute": m.attribute, "polarity": pol, "score": round(score, 4), "evidence": ev,
               "start": m.start, "end": m.end, "cue": m.cue}
        prev = rows.get(m.attribute)
        # A complaint outweighs praise in another clause of the same comment (it is what gets fixed).
        if prev is None or (pol == "negative" and prev["polarity"] != "negative"):
            rows[m.attribute] = row
    return [rows[a] for a in ATTRIBUTES if a in rows]


def format_attributes(rows: list[dict]) -> str:
    """Readable one-cell form for CSV output: 'dulce:-; empaque:-; sabor:+' (0 = neutral)."""
    sign = {"positive": "+", "negative": "-", "neutral": "0"}
    return "; ".join(f"{r['attribute']}:{sign[r['polarity']]}" for r in rows)


def evidence_of(text: str, clause: tuple[int, int], cue_start: int) -> str:
    """The clause as evidence, cut to MAX_EVIDENCE characters around the cue in a long clause."""
    a, b = clause
    if b - a <= MAX_EVIDENCE:
        return text[a:b]
    s = max(a, min(cue_start - MAX_EVIDENCE // 2, b - MAX_EVIDENCE))
    return text[s:s + MAX_EVIDENCE]
