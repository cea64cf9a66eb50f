"""Date expressions in a question, anchored on the latest date in the data (not today): "el último
trimestre" is the calendar quarter of the latest comment, "en octubre" the latest October with data,
"desde junio" the latest June 1 not after it."""
from __future__ import annotations

import datetime as dt
import re

from analysis.ask.facts import Facts
from analysis.ask.intent import CannotParse, Intent
from analysis.ask.vocabulary import MONTHS, NUMBER_WORDS, Tokens
from analysis.months import MONTHS_ES, month_abbr


def _month_start(d: dt.date) -> dt.date:
    return d.replace(day=1)


def _add_months(d: dt.date, k: int) -> dt.date:
    m = d.month - 1 + k
    return dt.date(d.year + m // 12, m % 12 + 1, 1)


def parse_dates(tk: Tokens, facts: Facts, intent: Intent) -> None:
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
    for ph in ("el ultimo trimestre", "ultimo trimestre", "the last quarter", "last quarter",
               "the past quarter", "past quarter", "el trimestre pasado", "trimestre pasado"):
        if tk.take(ph):
            h = need_hi()
            q0 = dt.date(h.year, 3 * ((h.month - 1) // 3) + 1, 1)
            lab = f"{month_abbr(q0, 'es')}–{month_abbr(_add_months(q0, 2), 'es')}"
            labe = f"{month_abbr(q0, 'en')}–{month_abbr(_add_months(q0, 2), 'en')}"
            set_range(q0, _add_months(q0, 3), f"en el último trimestre ({lab})",
                      f"in the last quarter ({labe})")
            break
    for ph in ("el ultimo mes", "ultimo mes", "el mes pasado", "mes pasado", "the last month", "last month",
               "the past month", "past month"):
        if tk.take(ph):
            h = need_hi()
            m0 = _month_start(h)
            set_range(m0, _add_months(m0, 1), f"en el último mes ({month_abbr(m0, 'es')})",
                      f"in the last month ({month_abbr(m0, 'en')})")
            break
    for ph, delta, les, len_ in (("este ano", 0, "este año", "this year"),
                                 ("this year", 0, "este año", "this year"),
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
            if (j < len(toks) and toks[j] in ("de", "del") and j + 1 < len(toks)
                    and re.fullmatch(r"20\d\d", toks[j + 1])):
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
            if (j < len(toks) and toks[j] in ("de", "del", "of") and j + 1 < len(toks)
                    and re.fullmatch(r"20\d\d", toks[j + 1])):
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
