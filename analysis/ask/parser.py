"""Question -> Intent. Each part of a question is recognised on its own, in this order, each marking the
words it used: quoted words, values found in the data, the period, text length, rating conditions, time
groupings, "how many <dimension>", top N, then the measure, the taste mentions and the polarity, the
grouping and the order. Typos within one edit of a known word or value are corrected first. Every word left
must be understood, or the question is declined with those words."""
from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from analysis.ask.facts import Facts
from analysis.ask.foods import (
    FAMILY_NOUNS,
    FOOD_KINDS,
    FOOD_NOUNS,
    GROUP_PHRASES,
    MENTION_CUES,
    attribute_food,
    entry_phrases,
    family_en,
    family_phrases,
    food_words,
)
from analysis.ask.intent import DIMENSIONS, CannotParse, Filters, Intent
from analysis.ask.periods import parse_dates
from analysis.ask.vocabulary import (
    ADJ_ATTRS,
    ATTR_OF,
    AVG_WORDS,
    COMPARE_WORDS,
    CONTAIN_VERBS,
    COUNT_WORDS,
    DISTRIBUTION_WORDS,
    GROUP_WORDS,
    LANG_PHRASES,
    LEAST_WORDS,
    LENGTH_UNITS,
    LENGTH_WORDS,
    MENTION_WORDS,
    MOST_WORDS,
    NEG_WORDS,
    NEU_WORDS,
    NUMBER_WORDS,
    PHRASE_ALIASES,
    POL_ADJECTIVES,
    POS_WORDS,
    QUALITY_WORDS,
    RATING_UNITS,
    RATING_WORDS,
    ROW_NOUNS,
    SHARE_WORDS,
    SPLIT_VERBS,
    TIME_GROUP_PHRASES,
    TREND_WORDS,
    WORD_CUES,
    Tokens,
    all_words,
    norm,
)

# Kinds of mention (sql.MENTION_VIEWS): taste attributes (their words: vocabulary.ATTR_OF), food entries and
# food families (analysis.ask.foods, recognised by `_foods`). Each is a filter, a grouping and a share's base.
MENTION_KINDS = ("attribute",) + FOOD_KINDS

_VOCAB = all_words()
_GENERIC = _VOCAB  # words that never select a value on their own
_QUOTE = re.compile(r"(?:(?<=^)|(?<=[\s(¿¡:,]))[«\"“'‘]([^«»\"“”'‘’]{1,60})[»\"”'’](?=$|[\s?.,;:!)])")
_PLACEHOLDER = "qqword"
_DIM_PRIORITY = {d: i for i, d in enumerate(("product", "region", "channel", "brand", "category", "topic"))}
_DIM_NOTE = {"product": ("el producto", "product"), "region": ("la región", "region"),
             "channel": ("el canal", "channel"), "brand": ("la marca", "brand"),
             "category": ("la categoría", "category"), "topic": ("el tema", "topic")}
_ARTICLES = {"el", "la", "los", "las", "the", "a", "an", "de", "del", "un", "una", "of"}


def _aliased(text: str) -> str:
    for a, b in PHRASE_ALIASES + GROUP_PHRASES:
        text = re.sub(rf"\b{a}\b", b, text)
    return text


@lru_cache(maxsize=4096)
def _value_tokens(value: str) -> tuple[str, ...]:
    return tuple(_aliased(norm(value)).split())


@lru_cache(maxsize=8)
def _known_words(facts: Facts) -> tuple[str, ...]:
    words = set(_VOCAB) | food_words(facts.foods if facts.has_foods else ())
    for dim in ("product", "region", "channel", "category", "brand", "topic"):
        for v in facts.values(dim):
            words |= {t for t in _value_tokens(v) if not t.isdigit()}
    return tuple(sorted(words))


def _correct(toks: list[str], facts: Facts, fixed: list | None = None) -> list[str]:
    """Each unknown word of 5+ letters replaced by the one known word (vocabulary, a value's or a food's word)
    within one edit (insertion, deletion, substitution or swap of two letters), when there is exactly one
    (or exactly one of the same length)."""
    known = _known_words(facts)
    known_set = set(known)
    out = []
    for t in toks:
        if len(t) < 5 or t in known_set or t.isdigit() or t.startswith(_PLACEHOLDER):
            out.append(t)
            continue
        hits = process.extract(t, known, scorer=OSA.distance, score_cutoff=1, limit=3)
        best = [h[0] for h in hits if h[1] <= 1]
        if len(best) > 1:   # "desserst": the swap or substitution (same length) before a dropped letter
            best = [b for b in best if len(b) == len(t)] or best
        out.append(best[0] if len(best) == 1 else t)
        if len(best) == 1 and fixed is not None:
            fixed.append((t, best[0]))
    return out


# -- foods and families ----------------------------------------------------------------------------
_VALUE_DIMS = ("product", "region", "channel", "brand", "category", "topic")
_CUE_SKIP = (_ARTICLES | {"del", "al", "lo", "about", "sobre", "acerca", "unos", "unas", "algun", "alguna",
                          "alguno", "algunos", "algunas", "any", "some", "mas", "most", "more", "menos",
                          "least", "se"} | NEG_WORDS | POS_WORDS | NEU_WORDS)
_WHICH = {"que", "which", "what", "cual", "cuales"}


def _cue_before(tk: Tokens, i: int, cues=MENTION_CUES | FOOD_NOUNS | FAMILY_NOUNS) -> bool:
    """A word that says the text names a food ('mencionan', 'menciones de', 'el alimento', 'talk about')
    before position i, with only articles, prepositions, 'más' or a polarity in between."""
    j = i - 1
    while j >= 0 and tk.toks[j] in _CUE_SKIP and i - j <= 4:
        j -= 1
    return j >= 0 and tk.toks[j] in cues


_JOINERS = {"y", "o", "e", "u", "and", "or", "ni"}


def _trimmed(c: tuple, toks: list[str]) -> tuple:
    """A value candidate without the articles and prepositions at its edges ('de kiwicha' -> 'kiwicha')."""
    n, full, prio, dim, v, i, ln = c
    while ln > 1 and toks[i] in _ARTICLES | {"del", "al", "y"}:
        i, ln = i + 1, ln - 1
    while ln > 1 and toks[i + ln - 1] in _ARTICLES | {"del", "al", "y"}:
        ln -= 1
    return (n, full, prio, dim, v, i, ln)


def _named_as_value(best: tuple, exact: list, i: int, n: int, kind: str, value, tk: Tokens) -> bool:
    """The words are clearly the value, not a food worth a note: its full name of several words, a name right
    after its dimension word ('la categoría snacks') or a value named by more words than the food's own
    ('café de Chanchamayo', 'camote snacks')."""
    if best[1] and (n > 1 or GROUP_WORDS.get(tk.at(i - 1)) == best[3]):
        return True
    own = set(norm(value).split()) if kind == "food" else set()
    for c in exact:
        distinctive = {t for t in _value_tokens(c[4]) if len(t) >= 4 and t not in _GENERIC}
        for j, t in enumerate(tk.toks):
            inside = i <= j < i + n
            if t in distinctive and not (inside and t in own) and (kind == "food" or not inside):
                return True
    return False


def _food_label(kind: str, value) -> tuple[str, str]:
    """(es, en) name of a food or family for notes."""
    if kind == "food":
        return f"el alimento {value}", f"the food {value}"
    vs = [value] if isinstance(value, str) else list(value)
    return (f"la familia de alimentos {' / '.join(vs)}",
            f"the food family {' / '.join(family_en(v) for v in vs)}")


def _foods(tk: Tokens, facts: Facts, items: list, it: Intent, prefer_food: bool = False) -> str | None:
    """Foods and families of foods named in the question, before the data's values: each becomes a mention
    filter (several of one kind = OR). A name shared with a product, category, ... ('chicha morada', 'snacks')
    is that value unless a word before it says the text names it ('mencionan', 'menciones de', 'talk about');
    the reading taken is noted. 'mencionan comida' is any food; 'qué postre' groups the foods of that family.
    Returns 'food' when a family after 'qué/which' asks for a grouping by food."""
    fam_idx = family_phrases()
    ent_idx = entry_phrases(facts.foods) if facts.has_foods else {}
    toks = tk.toks
    longest = max(len(p) for p in list(fam_idx) + list(ent_idx) + [()])
    found = []
    i = 0
    while i < len(toks):
        hit = None
        for n in range(min(longest, len(toks) - i), 0, -1):
            if any(tk.used[i:i + n]):
                continue
            p = tuple(toks[i:i + n])
            if p in fam_idx:
                hit = (i, n, "food_family", fam_idx[p])
            elif p in ent_idx:
                hit = (i, n, "food", ent_idx[p])
            if hit:
                break
        if hit:
            found.append(hit)
            i += hit[1]
        else:
            i += 1
    if not facts.has_foods:
        for i, n, _, _ in found:
            # not scanned for foods: after 'mencionan' the words are looked for in the text, else decline
            if _cue_before(tk, i, CONTAIN_VERBS - {"con", "with"}):
                items.append((i, "word", " ".join(toks[i:i + n])))
                tk.mark(i, n)
                it.notes.append(["los comentarios no se han analizado en busca de alimentos: busqué las "
                                 "palabras en el texto", "the comments were not scanned for foods: I looked "
                                 "for the words in the text"])
            else:
                raise CannotParse(why="no food mentions")
        return None
    vcands = [_trimmed(c, toks) for dim in _VALUE_DIMS for c in _match_values(tk, dim, facts.values(dim))]
    chosen: dict[str, tuple[int, list]] = {}
    group = None
    cued_until = -1   # 'mencionan helado y lúcuma': a food joined to a cued one is cued too
    for i, n, kind, value in found:
        cue = prefer_food or _cue_before(tk, i) or (
            cued_until >= 0 and all(t in _JOINERS for t in toks[cued_until:i]) and i - cued_until <= 2)
        over = [c for c in vcands if c[5] < i + n and i < c[5] + c[6]]
        words = " ".join(toks[i:i + n])
        fes, fen = _food_label(kind, value)
        if any(c[5] < i or c[5] + c[6] > i + n for c in over):
            continue   # a longer name ('helado de lúcuma') is the value
        exact = [c for c in over if c[5] == i and c[6] == n]
        if exact and not cue:
            best = max(exact, key=lambda c: c[:3])
            if not _named_as_value(best, exact, i, n, kind, value, tk):
                dim_es, dim_en = _DIM_NOTE[best[3]]
                it.notes.append([f"leí «{words}» como {dim_es} {best[4]}, no como {fes} (para el alimento: "
                                 f"«comentarios que mencionan {words}»)",
                                 f"read '{words}' as the {dim_en} {best[4]}, not {fen} (for the food: "
                                 f"'comments that mention {words}')"])
            continue
        if over:
            # the food's name is the whole of what was asked, a value's name only part of it, or it was cued
            best = max(over, key=lambda c: c[:3])
            dim_es, dim_en = _DIM_NOTE[best[3]]
            said = "mencionada" if kind == "food_family" else "mencionado"
            it.notes.append([f"leí «{words}» como {fes} {said} en el texto, no como {dim_es} {best[4]}",
                             f"read '{words}' as {fen} mentioned in the text, not the {dim_en} {best[4]}"])
        elif kind == "food_family":
            entry = entry_phrases(facts.foods).get(tuple(toks[i:i + n]))
            if entry and len(value) == 1:
                it.notes.append([f"leí «{words}» como la familia {value[0]}, no solo como el alimento "
                                 f"{entry}", f"read '{words}' as the family {family_en(value[0])}, not only "
                                 f"the food {entry}"])
        if cue:
            cued_until = i + n
        tk.mark(i, n)
        if i > 0 and toks[i - 1] in FOOD_NOUNS | FAMILY_NOUNS and not tk.used[i - 1]:
            tk.mark(i - 1)   # 'el alimento ceviche', 'la familia snacks': the noun names the filter
        elif kind == "food_family" and i > 0 and toks[i - 1] in _WHICH:
            # '¿qué postre se menciona más?': the foods of that family, one row each
            items.append((i, "mention", {"kind": kind, "value": _one(value), "polarity": None,
                                         "scope": "row"}))
            group = "food"
            it.dim_word = toks[i]
            continue
        vals = [value] if kind == "food" else list(value)
        pos, acc = chosen.setdefault(kind, (i, []))
        acc += [v for v in vals if v not in acc]
    for kind, (i, vals) in chosen.items():
        items.append((i, "mention", {"kind": kind, "value": _one(vals), "polarity": None}))
    # 'mencionan comida' / 'reviews mentioning food' / 'quejas sobre la comida': any food
    for j, t in tk.free():
        if t in FOOD_NOUNS and (_cue_before(tk, j, MENTION_CUES | CONTAIN_VERBS - {"con", "with"})
                                or tk.at(j - 1) in ("sobre", "about") or tk.at(j - 2) in ("sobre", "about")
                                and tk.at(j - 1) in _ARTICLES):
            items.append((j, "mention", {"kind": "food", "value": None, "polarity": None}))
            tk.mark(j)
    return group


def _uses_foods(it: Intent | None) -> bool:
    return it is not None and (it.group in FOOD_KINDS or any(
        m["kind"] in FOOD_KINDS for f in (it.filters, it.subset) if f for m in f.mentions))


def _one(vals):
    vals = list(vals) if not isinstance(vals, str) else [vals]
    return vals[0] if len(vals) == 1 else vals


# -- values from the data -----------------------------------------------------------------------------
def _match_values(tk: Tokens, dim: str, values: tuple[str, ...]) -> list[tuple]:
    """Candidate matches (tokens matched, full name, priority, dim, value, start, length). A partial match
    must include a distinctive word (4+ letters, not a vocabulary word) so that 'de' or '500' never selects
    a product."""
    out = []
    q = tk.toks
    prio = -_DIM_PRIORITY.get(dim, 9)
    for v in values:
        vt = _value_tokens(v)
        for i in range(len(q)):
            best = None
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
                if all(t in _GENERIC for t in run):
                    # a name made only of common words ("dulces") needs its dimension word in front
                    if not (full and i > 0 and GROUP_WORDS.get(q[i - 1]) == dim):
                        continue
                cand = (n, full, prio, dim, v, i, n)
                if best is None or cand[:2] > best[:2]:
                    best = cand
            if best:
                out.append(best)
    return out


def _values(tk: Tokens, facts: Facts, items: list, it: Intent) -> None:
    cands = []
    for dim in ("product", "region", "channel", "brand", "category", "topic"):
        cands += _match_values(tk, dim, facts.values(dim))
    cands.sort(key=lambda c: c[:3], reverse=True)
    chosen: dict[str, list[str]] = {}
    for n, full, prio, dim, v, i, ln in cands:
        if any(tk.used[i:i + ln]):
            continue
        rivals = [c for c in cands if c[3] == dim and c[4] != v and c[5] == i and c[:2] == (n, full)]
        if rivals:
            raise CannotParse(why=f"ambiguous {dim}: {v} / {rivals[0][4]}")
        other = next((c for c in cands if c[3] != dim and c[5] == i and c[:2] == (n, full)), None)
        if other is not None:
            words = " ".join(tk.toks[i:i + ln])
            it.notes.append([f"leí «{words}» como {_DIM_NOTE[dim][0]} {v}, no como {_DIM_NOTE[other[3]][0]} "
                             f"{other[4]}", f"read '{words}' as the {_DIM_NOTE[dim][1]} {v}, not the "
                             f"{_DIM_NOTE[other[3]][1]} {other[4]}"])
        tk.mark(i, ln)
        if v not in chosen.setdefault(dim, []):
            chosen[dim].append(v)
            items.append((i, "value", (dim, v)))
        # the dimension word in front names the filter ("en el canal Bodega"), not a grouping
        if i > 0 and GROUP_WORDS.get(tk.toks[i - 1]) == dim and not tk.used[i - 1]:
            tk.mark(i - 1)
    # the chosen values' other distinctive words elsewhere in the question ("kiwicha cookies" -> both)
    for vs in chosen.values():
        for v in vs:
            distinctive = {t for t in _value_tokens(v)
                           if len(t) >= 4 and not t.isdigit() and t not in _GENERIC}
            for j, t in tk.free():
                if t in distinctive:
                    tk.mark(j)
    for ph, code in LANG_PHRASES:
        i = tk.take(ph)
        if i >= 0:
            items.append((i, "value", ("lang", code)))


# -- words in the text, text length, rating conditions -----------------------------------------------
def _words(tk: Tokens, quoted: list[str], items: list) -> None:
    toks = tk.toks
    for i, t in enumerate(toks):
        if t.startswith(_PLACEHOLDER) and t[len(_PLACEHOLDER):].isdigit():
            k = int(t[len(_PLACEHOLDER):])
            if k < len(quoted):
                items.append((i, "word", quoted[k]))
                tk.mark(i)
                _mark_cue(tk, i)
    for i, t in tk.free():
        if tk.used[i]:
            continue
        if t in ("palabra", "palabras", "word", "words", "termino", "terminos", "term", "terms", "frase",
                 "phrase", "expresion") and i + 1 < len(toks) and not tk.used[i + 1]:
            nxt = toks[i + 1]
            if nxt.isdigit() or nxt in _VOCAB and nxt not in ATTR_OF:
                continue
            items.append((i + 1, "word", nxt))
            tk.mark(i, 2)
            _mark_cue(tk, i + 1)


def _mark_cue(tk: Tokens, i: int) -> None:
    """'la palabra' / 'the word' right before a word filter."""
    for ph in WORD_CUES:
        p = ph.split()
        if tk.toks[max(0, i - len(p)):i] == p:
            tk.mark(i - len(p), len(p))
            return


def _unknown_after_verb(tk: Tokens, items: list, known: set[str]) -> None:
    """'¿cuántos comentarios mencionan langosta?': an unknown word right after a verb of saying or
    containing is a word to look for in the text."""
    toks = tk.toks
    for i, t in tk.free():
        if t not in CONTAIN_VERBS or t in ("con", "with", "sobre", "about"):
            continue
        j = i + 1
        while j < len(toks) and toks[j] in _ARTICLES and not tk.used[j]:
            j += 1
        if j < len(toks) and not tk.used[j] and toks[j] not in known and not toks[j].isdigit():
            items.append((j, "word", toks[j]))
            tk.mark(j)
            return


_GT = [("mas", "de"), ("more", "than"), ("longer", "than"), ("greater", "than"), ("mayor", "a"),
       ("mayor", "que"), ("superior", "a"), ("mas", "largos", "que"), ("mas", "largas", "que"), ("over",),
       ("above",), ("at", "least"), ("al", "menos"), ("por", "lo", "menos")]
_LT = [("menos", "de"), ("less", "than"), ("fewer", "than"), ("shorter", "than"), ("menor", "a"),
       ("menor", "que"), ("inferior", "a"), ("mas", "cortos", "que"), ("mas", "cortas", "que"), ("under",),
       ("below",), ("at", "most"), ("como", "maximo"), ("maximo",), ("hasta",)]


def _comparator_before(tk: Tokens, i: int) -> tuple[str | None, int]:
    """The comparison phrase ending right before position i: ('gt'|'lt'|'ge'|'le'|'eq', its length)."""
    toks = tk.toks
    def ends(p):
        return tuple(toks[max(0, i - len(p)):i]) == p and not any(tk.used[i - len(p):i])
    for p, op in ((("mayor", "o", "igual", "a"), "ge"), (("mayor", "o", "igual", "que"), "ge"),
                  (("menor", "o", "igual", "a"), "le"), (("menor", "o", "igual", "que"), "le"),
                  (("greater", "than", "or", "equal", "to"), "ge"),
                  (("less", "than", "or", "equal", "to"), "le"),
                  (("at", "least"), "ge"), (("al", "menos"), "ge"), (("por", "lo", "menos"), "ge"),
                  (("como", "minimo"), "ge"), (("minimo",), "ge"), (("minimum",), "ge"),
                  (("at", "most"), "le"), (("como", "maximo"), "le"), (("maximo",), "le"),
                  (("maximum",), "le"), (("up", "to"), "le"), (("hasta",), "le"),
                  (("exactamente",), "eq"), (("exactly",), "eq"), (("igual", "a"), "eq"),
                  (("equal", "to"), "eq"), (("de", "exactamente"), "eq"), (("solo",), "eq"),
                  (("only",), "eq")):
        if ends(p):
            return op, len(p)
    for p in _GT:
        if ends(p):
            return "gt", len(p)
    for p in _LT:
        if ends(p):
            return "lt", len(p)
    return None, 0


def _comparator_after(tk: Tokens, j: int) -> tuple[str | None, int]:
    toks = tk.toks
    for p, op in ((("o", "mas"), "ge"), (("or", "more"), "ge"), (("or", "higher"), "ge"),
                  (("or", "above"), "ge"),
                  (("o", "superior"), "ge"), (("or", "better"), "ge"), (("o", "mejor"), "ge"),
                  (("para", "arriba"), "ge"), (("o", "menos"), "le"), (("or", "less"), "le"),
                  (("or", "fewer"), "le"), (("or", "lower"), "le"), (("or", "below"), "le"),
                  (("o", "inferior"), "le"), (("or", "worse"), "le"), (("o", "peor"), "le"),
                  (("para", "abajo"), "le")):
        if tuple(toks[j:j + len(p)]) == p and not any(tk.used[j:j + len(p)]):
            return op, len(p)
    return None, 0


def _num(t: str) -> float | None:
    if re.fullmatch(r"\d+(?:[.,]\d+)?", t):
        return float(t.replace(",", "."))
    return None


def _length(tk: Tokens, items: list) -> None:
    toks = tk.toks
    for i, t in tk.free():
        if tk.used[i] or _num(t) is None:
            continue
        unit = LENGTH_UNITS.get(tk.at(i + 1))
        op, n = _comparator_before(tk, i)
        if op is None:
            continue
        implicit = tk.at(i - 1) == "than" and tk.at(i - 2) in ("longer", "shorter")
        if unit is None and not implicit:
            continue
        op = {"ge": "gt", "le": "lt", "eq": None}.get(op, op)
        if op is None:
            continue
        items.append((i, "length", {"unit": unit or "chars", "op": op, "n": int(_num(t))}))
        tk.mark(i - n, n + 1 + (unit is not None))
        if i - n - 1 >= 0 and toks[i - n - 1] in ("de", "of", "con", "with") and not tk.used[i - n - 1]:
            tk.mark(i - n - 1)


_RATING_LEAD = {"de", "of", "con", "with", "a", "igual", "equal", "to", "exactamente", "exactly", "=", "es",
                "is", "was", "fue", "entre", "between", "en", "in", "from", "desde", "sea", "be"}


def _interval(op: str, k: float, k2: float | None = None) -> dict:
    if op == "between":
        return {"lo": min(k, k2), "hi": max(k, k2), "lo_inc": True, "hi_inc": True}
    return {"eq": {"lo": k, "hi": k, "lo_inc": True, "hi_inc": True},
            "ge": {"lo": k, "hi": None, "lo_inc": True, "hi_inc": True},
            "gt": {"lo": k, "hi": None, "lo_inc": False, "hi_inc": True},
            "le": {"lo": None, "hi": k, "lo_inc": True, "hi_inc": True},
            "lt": {"lo": None, "hi": k, "lo_inc": True, "hi_inc": False}}[op]


def _rating(tk: Tokens, items: list) -> None:
    """'1 o 2 estrellas', 'calificación de exactamente 3', 'rated 4 or higher', 'al menos 4 estrellas',
    'entre 2 y 4 estrellas', 'a rating between 1 and 2', '5-star'."""
    toks = tk.toks
    i = 0
    while i < len(toks):
        if tk.used[i] or _num(toks[i]) is None or _num(toks[i]) > 10:
            i += 1
            continue
        # a group of numbers: k (o|y|or|and|,) k2 ... / between k and k2
        nums = [_num(toks[i])]
        j = i + 1
        between = toks[i - 1] in ("entre", "between") if i > 0 else False
        while (j + 1 < len(toks) and toks[j] in ("o", "y", "or", "and", "a", "to")
               and _num(toks[j + 1]) is not None and _num(toks[j + 1]) <= 10 and not tk.used[j + 1]):
            nums.append(_num(toks[j + 1]))
            j += 2
        unit = j < len(toks) and toks[j] in RATING_UNITS and not tk.used[j]
        # a rating word before the numbers, with only connecting words in between
        lead = 0
        op, ncmp = _comparator_before(tk, i)
        k = i - ncmp - 1
        while k >= 0 and toks[k] in _RATING_LEAD and not tk.used[k] and lead < 3:
            k -= 1
            lead += 1
        rated = k >= 0 and toks[k] in RATING_WORDS and not tk.used[k]
        if not (unit or rated):
            i = j
            continue
        after_op, nafter = _comparator_after(tk, j + unit)
        op = op or after_op
        connectors = toks[i + 1:j:2]
        if between or (len(nums) == 2 and connectors[0] in ("a", "to") and op is None):
            ivs = [_interval("between", nums[0], nums[-1])]
        elif len(nums) > 1:
            ivs = [_interval("eq", x) for x in nums]
        else:
            ivs = [_interval(op or "eq", nums[0])]
        items.append((i, "rating", ivs))
        end = j + unit + nafter
        start = min(k if rated else i, i - ncmp - (1 if between else 0))
        tk.mark(start, end - start)
        i = end


def _names_a_ranking(tk: Tokens, i: int) -> bool:
    """'top 3', 'bottom 5', 'los 5 productos', 'the 3 worst rated products', 'los 3 meses con más'."""
    if tk.at(i - 1) in ("top", "bottom"):
        return True
    for j in range(i + 1, min(i + 5, len(tk.toks))):
        if tk.used[j]:
            return False
        if tk.toks[j] in GROUP_WORDS:
            return True
    return False


# -- the whole question ------------------------------------------------------------------------------
def _prepare(question: str, facts: Facts, fixed: list | None = None) -> tuple[Tokens, list[str]]:
    quoted = []

    def keep(m):
        quoted.append(" ".join(norm(m.group(1)).split()))
        return f" {_PLACEHOLDER}{len(quoted) - 1} "

    raw = _QUOTE.sub(keep, str(question))
    toks = norm(raw).split()
    toks = _correct(toks, facts, fixed)
    return Tokens(_aliased(" ".join(toks))), quoted


def parse(question: str, facts: Facts, previous: Intent | None = None) -> Intent:
    """The intent of `question`, or CannotParse. `previous` is the last question's intent (follow-ups)."""
    try:
        return _parse(question, facts, previous)
    except CannotParse as e:
        # "¿qué producto tiene más quejas sobre el café?": ranking products within the product "café" makes
        # no sense, so the name is the food mentioned in the text
        if not (e.why.startswith("rank ") and facts.has_foods):
            raise
        try:
            return _parse(question, facts, previous, prefer_food=True)
        except CannotParse:
            raise e from None


def _parse(question: str, facts: Facts, previous: Intent | None = None, prefer_food: bool = False) -> Intent:
    fixed: list[tuple[str, str]] = []
    tk, quoted = _prepare(question, facts, fixed)
    if not tk.toks:
        raise CannotParse(why="empty")
    text = " ".join(tk.toks)
    followup = previous is not None and (
        tk.toks[0] in ("y", "and", "e") or text.startswith(("what about", "how about", "and what about",
                                                            "y que tal", "y que hay")))
    if followup:
        for ph in ("and what about", "what about", "how about", "y que tal", "y que hay", "and", "y", "e"):
            if text.startswith(ph + " ") or text == ph:
                tk.mark(0, len(ph.split()))
                break

    it = Intent()
    if fixed:
        pairs = ", ".join(f"«{a}» → «{b}»" for a, b in fixed)
        it.notes.append([f"corregí {pairs}", f"corrected {pairs}"])
    items: list[tuple[int, str, object]] = []
    _words(tk, quoted, items)
    if followup and _uses_foods(previous):
        prefer_food = True   # "¿cuántos mencionan helado?" → "¿y la lúcuma?": the food, not the product
    food_group = _foods(tk, facts, items, it, prefer_food)
    _values(tk, facts, items, it)
    parse_dates(tk, facts, it)
    _length(tk, items)
    _rating(tk, items)

    # "reviews by rating", "distribución de las calificaciones", "por estrellas": one row per rating value
    rating_group = False
    for i, t in tk.free():
        if t in RATING_WORDS and not tk.used[i] and (
                tk.at(i - 1) in ("por", "by", "per", "each", "cada")
                or {tk.at(i - 1), tk.at(i - 2), tk.at(i - 3)} & DISTRIBUTION_WORDS):
            rating_group = True
            tk.mark(i)
            for j in (i - 1, i - 2, i - 3):
                if (tk.at(j) in ("por", "by", "per", "each", "cada", "de", "of", "the", "las", "los", "la")
                        or tk.at(j) in DISTRIBUTION_WORDS) and not tk.used[j]:
                    tk.mark(j)
                else:
                    break
            break
    time_group = None
    for g, phrases in TIME_GROUP_PHRASES:
        for ph in phrases:
            if tk.take(ph) >= 0:
                if time_group and time_group != g:
                    raise CannotParse(why="two time groupings")
                time_group = g
    # "¿cuántos productos hay?" counts the dimension's values, not comments
    distinct_dim = None
    for i, t in tk.free():
        if t in ("cuantos", "cuantas", "many", "numero", "number", "cantidad"):
            j = i + 1
            while tk.at(j) in ("de", "of", "distintos", "distintas", "diferentes", "different", "distinct",
                               "unique", "unicos", "unicas") and not tk.used[j]:
                j += 1
            g = GROUP_WORDS.get(tk.at(j))
            if g and not tk.used[j] and g not in ("month", "quarter", "year"):
                distinct_dim = g
                it.dim_word = tk.at(j)
                tk.mark(j)
                break
    # top N: "top 3", "los 5 productos", "bottom 5", "3 mejores"
    for i, t in tk.free():
        n = int(t) if t.isdigit() and len(t) <= 2 else NUMBER_WORDS.get(t) if t not in (
            "un", "una", "uno", "one") else None
        if not n or n <= 0 or tk.used[i]:
            continue
        if _names_a_ranking(tk, i):
            it.top_n = n
            tk.mark(i)
    _unknown_after_verb(tk, items, set(_known_words(facts)))

    free = tk.free()
    words = [t for _, t in free]
    pos_of = {t: i for i, t in reversed(free)}

    def has(ws):
        return any(w in ws for w in words)

    # order phrases before single words
    order = None
    for ph, o in (("mas alta", "desc"), ("mas alto", "desc"), ("mas altas", "desc"), ("mas altos", "desc"),
                  ("mas baja", "asc"), ("mas bajo", "asc"), ("mas bajas", "asc"), ("mas bajos", "asc"),
                  ("menos alta", "asc"), ("mas pobre", "asc"), ("the least", "asc"), ("the most", "desc")):
        if tk.take(ph) >= 0:
            order = o
    free = tk.free()
    words = [t for _, t in free]
    most, least = has(MOST_WORDS), has(LEAST_WORDS)
    if order == "desc" and least or order == "asc" and most:
        raise CannotParse(why="most and least")
    if most and least:
        raise CannotParse(why="most and least")
    order = order or ("desc" if most else "asc" if least else None)

    # taste mentions and polarity
    attrs = sorted({ATTR_OF[w] for w in words if w in ATTR_OF})
    if "sabor" in attrs and set(attrs) & ADJ_ATTRS:
        attrs.remove("sabor")  # "sabor picante" / "spicy flavours" is about spiciness
    if len(attrs) > 1:
        raise CannotParse(why="several taste attributes")
    neg, pos, neu = has(NEG_WORDS), has(POS_WORDS), has(NEU_WORDS)
    if neg + pos + neu > 1:
        raise CannotParse(why="several polarities")
    pol = "negative" if neg else "positive" if pos else "neutral" if neu else None
    pol_pos = min((i for i, t in free if t in NEG_WORDS | POS_WORDS | NEU_WORDS), default=None)

    has_share, has_avg = has(SHARE_WORDS), has(AVG_WORDS)
    has_rating_word = has(RATING_WORDS)
    has_count = has(COUNT_WORDS)
    has_length = has(LENGTH_WORDS) or (has(LENGTH_UNITS) and (has_avg or has_count))
    mentions_w = has(MENTION_WORDS)
    groups = {GROUP_WORDS[w] for w in words if w in GROUP_WORDS}
    it.dim_word = it.dim_word or next((w for w in words if w in GROUP_WORDS), None)
    if distinct_dim:
        groups.discard(distinct_dim)
    if has(TREND_WORDS):
        groups.add("month")
    if time_group:
        groups.add(time_group)
    if rating_group:
        groups.add("rating")
    if food_group:
        groups.discard("food")   # "¿qué postre...?" / "¿qué bebida...?": the family's foods
        if groups:
            raise CannotParse(why="several groupings")
        groups.add(food_group)
    if len(groups) > 1:
        raise CannotParse(why="several groupings")
    group = groups.pop() if groups else None
    if group in FOOD_KINDS and not facts.has_foods:
        raise CannotParse(why="no food mentions")

    # the polarity of what: a taste mention, the grouping by a kind of mention, a food, a rating or the
    # sentiment
    foods = [x for x in items if x[1] == "mention" and x[2]["kind"] in FOOD_KINDS and not x[2].get("scope")]
    for w in words:
        food = attribute_food(w, facts.foods) if facts.has_foods else None
        if food and w in ATTR_OF and group not in FOOD_KINDS:
            it.notes.append([f"leí «{w}» como el atributo {ATTR_OF[w]}, no como el alimento {food}",
                             f"read '{w}' as the attribute {ATTR_OF[w]}, not the food {food}"])
    if attrs:
        items.append((pos_of.get(next(w for w in words if w in ATTR_OF), 0), "mention",
                      {"kind": "attribute", "value": attrs[0], "polarity": pol}))
    elif pol and group in MENTION_KINDS:
        it.group_polarity = pol
    elif pol and foods:
        # "quejas sobre mariscos", "menciones negativas del ají amarillo": the food's mention polarity
        for x in foods:
            x[2]["polarity"] = pol
    elif pol:
        rating_ctx = any(tk.at(pol_pos + d) in RATING_WORDS for d in (-2, -1, 1, 2))
        if rating_ctx or not facts.has_sentiment:
            if not facts.has_rating:
                raise CannotParse(why="no sentiment nor rating in the data")
            iv = {"negative": _interval("le", 2), "positive": _interval("ge", 4),
                  "neutral": _interval("eq", 3)}[pol]
            items.append((pol_pos, "rating", [iv]))
            if not rating_ctx:
                les = {"negative": "1–2", "positive": "4–5", "neutral": "3"}[pol]
                word = {"negative": "negativas", "positive": "positivas", "neutral": "neutras"}[pol]
                it.notes.append([f"leí «{word}» como calificación {les}: los datos no tienen sentimiento",
                                 f"read '{pol}' as a rating of {les}: the data has no sentiment scores"])
        else:
            items.append((pol_pos, "sentiment", pol))

    # the measure
    metric = None
    if distinct_dim:
        metric = "distinct"
    elif has_share:
        metric = "share"
    elif has_length:
        metric = "avg_length"
        units = [LENGTH_UNITS[w] for w in words if w in LENGTH_UNITS]
        it.length_unit = units[0] if units else "chars"
    elif has_avg:
        if has_count:
            raise CannotParse(why="average of a count")
        if attrs and not has_rating_word:
            raise CannotParse(why="average of what")  # "precio promedio": not a stored figure
        metric = "avg_rating"
    elif has_rating_word and not has_count and not has(ROW_NOUNS - {"valoraciones", "evaluaciones"}) \
            or has_rating_word and group and order and not has_count:
        if group is None and order:
            metric = "max_rating" if order == "desc" else "min_rating"
            order = None
        else:
            metric = "avg_rating"
    elif has(QUALITY_WORDS) and group and not (has_count or pol or attrs or mentions_w) and facts.has_rating:
        metric = "avg_rating"  # "the best / worst place" ranks by the rating
    elif has_count or has(ROW_NOUNS) or mentions_w or pol or attrs or group or order or distinct_dim \
            or any(x[1] in ("rating", "word", "length") for x in items):
        metric = "count"
    elif followup:
        metric = None
    else:
        raise CannotParse(why="no metric")
    if metric in ("avg_rating", "min_rating", "max_rating") and not facts.has_rating:
        raise CannotParse(why="no ratings in the data")

    # every remaining word must be understood
    known = set(_VOCAB)
    unknown = [t for _, t in tk.free() if t not in known]
    if unknown:
        raise CannotParse(unknown=unknown)

    # filters: the base, and for a share the subset
    base, subset = _split_share(items, free, metric, attrs, pol, words) if metric == "share" \
        else (_filters(items), None)
    if metric == "share" and (subset is None or subset.empty()) and not (group in MENTION_KINDS and pol):
        raise CannotParse(why="share of what")
    it.metric = metric or "count"
    it.filters, it.subset = base, subset

    if distinct_dim:
        if group or order:
            raise CannotParse(why="distinct count with a grouping")
        if distinct_dim in base.values and len(base.values[distinct_dim]) == 1:
            raise CannotParse(why="count the values of a dimension within one value")
        it.distinct_of = distinct_dim
    chosen = base.values | (subset.values if subset else {})
    if has(COMPARE_WORDS) and not group:
        multi = [d for d, vs in base.values.items() if len(vs) > 1]
        if len(multi) != 1:
            raise CannotParse(why="compare what")
        group = multi[0]
    if group in chosen and group not in ("month", "quarter", "year"):
        if len(chosen[group]) == 1:
            if order or it.top_n:
                raise CannotParse(why=f"rank {group} within one {group}")
            group = None  # "en el canal Bodega": the dimension word names the filter
    if group:
        if group in DIMENSIONS and group != "lang" and not facts.values(group):
            raise CannotParse(why=f"no {group} in the data")
        it.group = group
        if order or it.top_n:
            it.order = order or "desc"
            it.top_n = it.top_n or 1
    elif order or it.top_n:
        if not followup:
            raise CannotParse(why="ranking without a dimension")
    if it.group == "attribute" and attrs:
        raise CannotParse(why="attribute both filter and group")
    if _uses_foods(it) and facts.food_unscanned:
        n = facts.food_unscanned
        it.notes.append([f"{n} comentarios aún no se han analizado en busca de alimentos",
                         f"{n} comments have not been scanned for foods yet"])

    if followup and previous is not None:
        it = _merge_followup(previous, it, metric is not None and (has_share or has_avg or has_rating_word
                                                                   or has_length or bool(distinct_dim)),
                             group is not None)
    return it


def _filters(items: list) -> Filters:
    f = Filters()
    for _, kind, payload in sorted(items, key=lambda x: x[0]):
        if kind == "value":
            dim, v = payload
            if v not in f.values.setdefault(dim, []):
                f.values[dim].append(v)
        elif kind == "rating":
            if f.rating:
                raise CannotParse(why="two rating conditions")
            f.rating = list(payload)
        elif kind == "sentiment":
            if payload not in f.sentiment:
                f.sentiment.append(payload)
        elif kind == "mention":
            f.mentions.append(dict(payload))
        elif kind == "word":
            if payload not in f.words:
                f.words.append(payload)
        elif kind == "length":
            if f.length:
                raise CannotParse(why="two length conditions")
            f.length = dict(payload)
    return f


_MENTION_NOUNS = {"quejas", "queja", "complaints", "complaint", "reclamos", "elogios", "praise", "menciones",
                  "mentions"}
_CHARACTERISTIC = {"rating", "sentiment", "mention", "word", "length"}


def _split_share(items: list, free: list, metric, attrs, pol, words) -> tuple[Filters, Filters | None]:
    """A share's base and subset. 'qué % de los comentarios sobre precio son negativos' = negative mentions of
    price among mentions of price; otherwise the conditions after the verb ('... de 2024 | tienen 5
    estrellas') or, without one, the characteristics (rating, sentiment, mention, word, length) form the
    subset and the rest the base."""
    share_at = min((i for i, t in free if t in SHARE_WORDS), default=0)
    split = min((i for i, t in free if t in SPLIT_VERBS and i > share_at), default=None)
    mention = next((x for x in items if x[1] == "mention"), None)
    noun_at = min((i for i, t in free if t in _MENTION_NOUNS and i > share_at), default=None)
    if mention and noun_at is not None and split is not None and noun_at < split < mention[0]:
        # "qué % de las quejas son sobre el precio": price among the complaints (mentions of that polarity)
        base = [x for x in items if x is not mention]
        base.append((noun_at, "mention", {"kind": mention[2]["kind"], "value": None,
                                          "polarity": mention[2]["polarity"]}))
        return _filters(base), _filters([mention])
    polar = next((x for x in items if x[1] == "mention" and x[2].get("polarity")), None)
    if polar is not None and pol and any(w in POL_ADJECTIVES for w in words):
        # "qué % de las menciones de helado son positivas": positive mentions among the mentions of helado
        base = [x for x in items if x is not polar]
        base.append((polar[0], "mention", {**polar[2], "polarity": None}))
        return _filters(base), _filters([polar])
    if split is not None:
        after = [x for x in items if x[0] > split]
        chars = [x for x in after if x[1] in _CHARACTERISTIC]
        sub = chars or after
        if sub:
            return _filters([x for x in items if x not in sub]), _filters(sub)
    chars = [x for x in items if x[1] in _CHARACTERISTIC]
    sub = chars or [x for x in items if x[1] == "value"]
    return _filters([x for x in items if x not in sub]), _filters(sub)


def _merge_followup(prev: Intent, new: Intent, has_metric: bool, has_group: bool) -> Intent:
    """'¿y en Cusco?' / 'and in 2023?': the previous intent with the parts the follow-up names replaced."""
    out = replace(prev, filters=Filters.from_dict(_asdict(prev.filters)),
                  subset=Filters.from_dict(_asdict(prev.subset)) if prev.subset else None,
                  notes=list(new.notes))
    nf = new.filters
    target = out.filters
    for dim, vs in nf.values.items():
        if out.subset is not None and dim in out.subset.values and dim not in out.filters.values:
            out.subset.values[dim] = list(vs)
        else:
            target.values[dim] = list(vs)
    for slot in ("rating", "sentiment", "words"):
        if getattr(nf, slot):
            holder = out.subset if out.subset is not None and getattr(out.subset, slot) else target
            setattr(holder, slot, list(getattr(nf, slot)))
    if nf.length:
        target.length = dict(nf.length)
    if nf.mentions:
        # "¿y el helado?" replaces the food, "¿y el precio?" the attribute: mentions of another class stay
        def cls(m):
            return "food" if m["kind"] in FOOD_KINDS else m["kind"]
        new_cls = {cls(m) for m in nf.mentions}
        holders = [h for h in (target, out.subset) if h is not None and any(cls(m) in new_cls
                                                                           for m in h.mentions)] or [
            out.subset if out.subset is not None and out.subset.mentions else target]
        for holder in holders:   # a share's base and subset both name it: both change, each its polarity
            same = [m for m in holder.mentions if cls(m) in new_cls]
            old_pol = same[-1].get("polarity") if same else None
            holder.mentions = [m for m in holder.mentions if cls(m) not in new_cls] + [
                {**m, "polarity": m.get("polarity") or old_pol} for m in nf.mentions]
    if new.date_from is not None:
        out.date_from, out.date_to, out.by_year = new.date_from, new.date_to, new.by_year
        out.date_label_es, out.date_label_en = new.date_label_es, new.date_label_en
    if has_metric and new.metric != "count":
        out.metric, out.length_unit, out.distinct_of = new.metric, new.length_unit, new.distinct_of
        if new.subset is not None:
            out.subset = new.subset
    if has_group and new.group:
        out.group, out.order, out.top_n = new.group, new.order, new.top_n
    elif (new.order or new.top_n) and out.group:
        out.order = new.order or out.order or "desc"
        out.top_n = new.top_n or out.top_n or 1
    # a follow-up that names the dimension being grouped replaces the grouping by a filter
    if out.group in nf.values and len(nf.values[out.group]) == 1:
        out.group, out.order, out.top_n = None, None, None
    if out.metric == "distinct" and out.distinct_of in nf.values:
        out.metric, out.distinct_of = "count", None
    return out


def _asdict(f: Filters) -> dict:
    from dataclasses import asdict

    return asdict(f)
