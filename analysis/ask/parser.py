"""Question -> Intent: values found in the data, dates, then measure, subject, grouping and order."""
from __future__ import annotations

import re
from dataclasses import replace

from analysis.ask.facts import Facts
from analysis.ask.intent import CannotParse, Intent
from analysis.ask.periods import parse_dates
from analysis.ask.vocabulary import (
    ADJ_ATTRS,
    ATTR_OF,
    AVG_WORDS,
    COUNT_WORDS,
    FILLER,
    GROUP_WORDS,
    LEAST_WORDS,
    MENTION_WORDS,
    MONTHS,
    MOST_WORDS,
    NEG_WORDS,
    NEU_WORDS,
    NUMBER_WORDS,
    PHRASE_ALIASES,
    POL_ADJECTIVES,
    POS_WORDS,
    RATING_WORDS,
    SHARE_WORDS,
    TREND_WORDS,
    Tokens,
    norm,
)

_GENERIC = (set(FILLER) | set(ATTR_OF) | NEG_WORDS | POS_WORDS | NEU_WORDS | MENTION_WORDS | set(GROUP_WORDS)
            | set(MONTHS) | COUNT_WORDS | AVG_WORDS | RATING_WORDS | SHARE_WORDS | TREND_WORDS | MOST_WORDS
            | LEAST_WORDS
            | {"porcentaje", "trimestre", "quarter", "ultimo", "ultimos", "desde", "since", "last"})


def _aliased(text: str) -> str:
    for a, b in PHRASE_ALIASES:
        text = re.sub(rf"\b{a}\b", b, text)
    return text


def _value_tokens(value: str) -> list[str]:
    return _aliased(norm(value)).split()


def _match_values(tk: Tokens, values: tuple[str, ...]) -> list[tuple[int, bool, str, int, int]]:
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


def _pick_values(tk: Tokens, facts: Facts) -> dict[str, str]:
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


def parse(question: str, facts: Facts, previous: Intent | None = None) -> Intent:
    """The intent of `question`, or CannotParse. `previous` is the last question's intent (follow-ups)."""
    text = _aliased(norm(question))
    tk = Tokens(text)
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
    parse_dates(tk, facts, it)

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
