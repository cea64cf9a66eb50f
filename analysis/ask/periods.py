"""Date expressions in a question, anchored on the latest date in the data (not today): "el último
trimestre" is the calendar quarter of the latest comment, "en octubre" the latest October with data,
"desde junio" the latest June 1 not after it. Whole years ("en 2016", "entre 2013 y 2015", "el año pasado")
count a comment by its year, so a comment dated only by its year is counted too; any finer period counts by
date."""
from __future__ import annotations

import datetime as dt
import re

from analysis.ask.facts import Facts
from analysis.ask.intent import CannotParse, Intent
from analysis.ask.vocabulary import MONTHS, NUMBER_WORDS, Tokens
from analysis.months import MONTHS_EN, MONTHS_ES, month_abbr

_YEAR = re.compile(r"(19|20)\d\d")
_ORD = {"primer": 1, "primero": 1, "primera": 1, "1er": 1, "1ero": 1, "1o": 1, "1st": 1, "first": 1,
        "segundo": 2, "segunda": 2, "2do": 2, "2o": 2, "2nd": 2, "second": 2, "tercer": 3, "tercero": 3,
        "3er": 3, "3ro": 3, "3rd": 3, "third": 3, "cuarto": 4, "4to": 4, "4th": 4, "fourth": 4}
_OF = ("de", "del", "of", "in", "en")
_MAY_BEFORE = {"in", "since", "from", "during", "of", "until", "to", "and", "between", "through", "by"}


def _add_months(d: dt.date, k: int) -> dt.date:
    m = d.month - 1 + k
    return dt.date(d.year + m // 12, m % 12 + 1, 1)


def _is_year(t: str) -> bool:
    return bool(_YEAR.fullmatch(t))


def _month_at(tk: Tokens, i: int) -> int | None:
    t = tk.at(i)
    if t in MONTHS:
        return MONTHS[t]
    if t == "may" and (_is_year(tk.at(i + 1)) or tk.at(i - 1) in _MAY_BEFORE
                       or tk.at(i + 1) in ("to", "and")):
        return 5
    return None


def _span_label(a: dt.date, b: dt.date) -> tuple[str, str]:
    """'ene 2024–mar 2024' for a range of months [a, b)."""
    last = _add_months(b, -1)
    if last == a:
        return (f"en {MONTHS_ES[a.month - 1]} de {a.year}", f"in {MONTHS_EN[a.month - 1]} {a.year}")
    return (f"entre {month_abbr(a, 'es')} y {month_abbr(last, 'es')}",
            f"between {month_abbr(a, 'en')} and {month_abbr(last, 'en')}")


class _Period:
    def __init__(self, tk: Tokens, facts: Facts, intent: Intent):
        self.tk, self.facts, self.it = tk, facts, intent

    def hi(self) -> dt.date:
        if self.facts.max_date is None:
            raise CannotParse(why="no dates in the data")
        return self.facts.max_date

    def set(self, a: dt.date, b: dt.date, les: str, len_: str, by_year: bool = False) -> None:
        if self.it.date_from is not None:
            raise CannotParse(why="two date ranges")
        self.it.date_from, self.it.date_to = a.isoformat(), b.isoformat()
        self.it.by_year = by_year
        self.it.date_label_es, self.it.date_label_en = les, len_

    def years(self, y0: int, y1: int | None, les: str | None = None, len_: str | None = None) -> None:
        y1 = y1 if y1 is not None else y0
        if y1 < y0:
            y0, y1 = y1, y0
        if les is None:
            les = f"en {y0}" if y0 == y1 else f"entre {y0} y {y1}"
            len_ = f"in {y0}" if y0 == y1 else f"between {y0} and {y1}"
        self.set(dt.date(y0, 1, 1), dt.date(y1 + 1, 1, 1), les, len_, by_year=True)

    def months(self, a: dt.date, b: dt.date) -> None:
        les, len_ = _span_label(a, b)
        self.set(a, b, les, len_)

    def latest_year_with(self, month: int, span: int = 1) -> int:
        """The latest year in which the period starting at `month` has data."""
        ys = [m.year for m in self.facts.months if month <= m.month < month + span]
        if not ys:
            raise CannotParse(why=f"no data for month {month}")
        return max(ys)

    def year_after(self, j: int) -> tuple[int | None, int]:
        """A year at j or after a 'de/of' at j: (year, tokens used)."""
        tk = self.tk
        if _is_year(tk.at(j)) and not tk.used[j]:
            return int(tk.at(j)), 1
        if tk.at(j) in _OF and _is_year(tk.at(j + 1)) and not tk.used[j + 1]:
            return int(tk.at(j + 1)), 2
        return None, 0


def parse_dates(tk: Tokens, facts: Facts, intent: Intent) -> None:
    p = _Period(tk, facts, intent)
    toks = tk.toks
    _relative(p)
    _quarters_and_halves(p)
    # ranges of months: "de enero a marzo de 2024", "between July and December 2024", "enero-marzo 2024"
    for i, _t in tk.free():
        if tk.used[i]:
            continue
        j = i + 1 if toks[i] in ("de", "from", "entre", "between", "desde") else i
        m1 = _month_at(tk, j)
        if m1 is None or tk.used[j]:
            continue
        y1, n1 = p.year_after(j + 1)
        k = j + 1 + n1
        if tk.at(k) not in ("a", "to", "y", "and", "hasta", "until", "through", "till", "al"):
            if j == i:
                continue
            if not (toks[i] in ("entre", "between") or tk.at(k) == ""):
                continue
            continue
        m2 = _month_at(tk, k + 1)
        if m2 is None:
            continue
        y2, n2 = p.year_after(k + 2)
        if y2 is None and y1 is None:
            y2 = p.latest_year_with(m2)
        y2 = y2 if y2 is not None else y1
        y1 = y1 if y1 is not None else (y2 if m1 <= m2 else y2 - 1)
        a, b = dt.date(y1, m1, 1), _add_months(dt.date(y2, m2, 1), 1)
        if b <= a:
            raise CannotParse(why="empty date range")
        p.months(a, b)
        tk.mark(i, k + 2 + n2 - i)
    # ranges of years: "entre 2013 y 2015", "from 2012 to 2014", "2016 y 2017", "2016 or 2017"
    for i, t in tk.free():
        if tk.used[i]:
            continue
        j = i + 1 if t in ("de", "from", "entre", "between", "desde") else i
        if not _is_year(tk.at(j)) or tk.used[j]:
            continue
        conn = tk.at(j + 1)
        if (conn in ("a", "to", "y", "and", "hasta", "until", "through", "o", "or", "al")
                and _is_year(tk.at(j + 2))):
            y0, y1 = int(tk.at(j)), int(tk.at(j + 2))
            if conn in ("o", "or", "y", "and") and j == i and abs(y1 - y0) != 1:
                raise CannotParse(why="two separate years")
            if t in ("desde",) and conn not in ("a", "hasta", "to", "until", "al"):
                continue
            p.years(y0, y1)
            tk.mark(i, j + 3 - i)
    _since_until(p)
    # a month name, optionally with a year: "en octubre", "octubre de 2024", "october 2024"
    for i, _t in tk.free():
        if tk.used[i]:
            continue
        mo = _month_at(tk, i)
        if mo is None:
            continue
        y, n = p.year_after(i + 1)
        if y is None:
            y = p.latest_year_with(mo)
        a = dt.date(y, mo, 1)
        p.set(a, _add_months(a, 1), f"en {MONTHS_ES[mo - 1]} de {y}", f"in {MONTHS_EN[mo - 1]} {y}")
        tk.mark(i, 1 + n)
    # a bare year
    for i, t in tk.free():
        if _is_year(t) and not tk.used[i]:
            p.years(int(t), None)
            tk.mark(i)
            if i > 0 and toks[i - 1] in ("ano", "year", "el", "the") and not tk.used[i - 1]:
                tk.mark(i - 1)


def _relative(p: _Period) -> None:
    tk = p.tk
    for ph in ("el ultimo trimestre", "ultimo trimestre", "the last quarter", "last quarter",
               "the past quarter", "past quarter", "the previous quarter", "previous quarter",
               "el trimestre pasado", "trimestre pasado", "this quarter", "este trimestre"):
        if tk.take(ph) >= 0:
            h = p.hi()
            q0 = dt.date(h.year, 3 * ((h.month - 1) // 3) + 1, 1)
            lab = f"{month_abbr(q0, 'es')}–{month_abbr(_add_months(q0, 2), 'es')}"
            labe = f"{month_abbr(q0, 'en')}–{month_abbr(_add_months(q0, 2), 'en')}"
            p.set(q0, _add_months(q0, 3), f"en el último trimestre ({lab})", f"in the last quarter ({labe})")
            break
    for ph in ("el ultimo semestre", "ultimo semestre", "el semestre pasado", "semestre pasado",
               "the last half", "last half", "the past half", "past half"):
        if tk.take(ph) >= 0:
            h = p.hi()
            h0 = dt.date(h.year, 1 if h.month <= 6 else 7, 1)
            p.set(h0, _add_months(h0, 6), f"en el último semestre ({month_abbr(h0, 'es')}–"
                  f"{month_abbr(_add_months(h0, 5), 'es')})", f"in the last half ({month_abbr(h0, 'en')}–"
                  f"{month_abbr(_add_months(h0, 5), 'en')})")
            break
    for ph in ("el ultimo mes", "ultimo mes", "el mes pasado", "mes pasado", "the last month", "last month",
               "the past month", "past month", "the previous month", "previous month", "este mes",
               "this month"):
        if tk.take(ph) >= 0:
            m0 = p.hi().replace(day=1)
            p.set(m0, _add_months(m0, 1), f"en el último mes ({month_abbr(m0, 'es')})",
                  f"in the last month ({month_abbr(m0, 'en')})")
            break
    for ph, delta in (("este ano", 0), ("this year", 0), ("el ano pasado", -1), ("ano pasado", -1),
                      ("last year", -1), ("the previous year", -1), ("previous year", -1), ("past year", -1),
                      ("el ano anterior", -1), ("ano anterior", -1)):
        if tk.take(ph) >= 0:
            y = p.hi().year + delta
            p.years(y, None, f"en {y}", f"in {y}")
            break
    # "últimos 6 meses" / "last 6 months" / "the past 30 days"
    toks = tk.toks
    for i, t in tk.free():
        if t in ("ultimos", "ultimas", "last", "past", "previous") and tk.at(i + 2) in (
                "meses", "months", "dias", "days", "semanas", "weeks"):
            k = tk.at(i + 1)
            k = int(k) if k.isdigit() else NUMBER_WORDS.get(k)
            if not k:
                continue
            h = p.hi()
            unit = tk.at(i + 2)
            if unit in ("meses", "months"):
                m0 = _add_months(h.replace(day=1), -(k - 1))
                p.set(m0, _add_months(h.replace(day=1), 1), f"en los últimos {k} meses",
                      f"in the last {k} months")
            else:
                days = k * (7 if unit in ("semanas", "weeks") else 1)
                a = h - dt.timedelta(days=days - 1)
                word = {"dias": ("días", "days"), "days": ("días", "days"), "semanas": ("semanas", "weeks"),
                        "weeks": ("semanas", "weeks")}[unit]
                p.set(a, h + dt.timedelta(days=1), f"en los últimos {k} {word[0]}",
                      f"in the last {k} {word[1]}")
            tk.mark(i, 3)
            if i > 0 and toks[i - 1] in ("los", "las", "the") and not tk.used[i - 1]:
                tk.mark(i - 1)


def _quarters_and_halves(p: _Period) -> None:
    tk = p.tk
    for i, t in tk.free():
        if tk.used[i]:
            continue
        n, span, size = None, 0, 0
        nxt = tk.at(i + 1)
        if t in _ORD and nxt in ("trimestre", "quarter", "semestre", "half"):
            n, span = _ORD[t], 2
            size = 3 if nxt in ("trimestre", "quarter") else 6
        elif re.fullmatch(r"q[1-4]", t):
            n, span, size = int(t[1]), 1, 3
        elif re.fullmatch(r"h[12]", t) or re.fullmatch(r"s[12]", t):
            n, span, size = int(t[1]), 1, 6
        elif t in ("trimestre", "quarter") and nxt in ("1", "2", "3", "4"):
            n, span, size = int(nxt), 2, 3
        elif t in ("semestre", "half") and nxt in ("1", "2"):
            n, span, size = int(nxt), 2, 6
        if not n or (size == 6 and n > 2):
            continue
        y, ny = p.year_after(i + span)
        first_month = size * (n - 1) + 1
        if y is None:
            y = p.latest_year_with(first_month, size)
        a = dt.date(y, first_month, 1)
        if size == 3:
            p.set(a, _add_months(a, 3), f"en el trimestre {n} de {y}", f"in Q{n} {y}")
        else:
            p.set(a, _add_months(a, 6), f"en el {'primer' if n == 1 else 'segundo'} semestre de {y}",
                  f"in the {'first' if n == 1 else 'second'} half of {y}")
        tk.mark(i, span + ny)
        if i > 0 and tk.at(i - 1) in ("el", "the") and not tk.used[i - 1]:
            tk.mark(i - 1)


def _since_until(p: _Period) -> None:
    tk = p.tk
    toks = tk.toks
    for i, t in tk.free():
        if tk.used[i]:
            continue
        since = t in ("desde", "since", "after", "despues")
        until = t in ("hasta", "until", "before", "antes", "till")
        if not (since or until):
            continue
        j = i + 1
        if toks[i] in ("despues", "antes") and tk.at(j) == "de":
            j += 1
        mo = _month_at(tk, j)
        if mo is not None and not tk.used[j]:
            y, n = p.year_after(j + 1)
            h = p.hi()
            if y is None:
                y = h.year if (mo <= h.month or until) else h.year - 1
            a = dt.date(y, mo, 1)
            if since:
                start = _add_months(a, 1) if t == "after" or toks[i] == "despues" else a
                p.set(start, _add_months(h.replace(day=1), 1),
                      f"desde {MONTHS_ES[start.month - 1]} de {start.year}",
                      f"since {MONTHS_EN[start.month - 1]} {start.year}")
            else:
                end = a if t in ("before", "antes") else _add_months(a, 1)
                lo = p.facts.min_date or end
                p.set(lo.replace(day=1), end, f"hasta {month_abbr(_add_months(end, -1), 'es')}",
                      f"until {month_abbr(_add_months(end, -1), 'en')}")
            tk.mark(i, j + 1 + n - i)
        elif _is_year(tk.at(j)) and not tk.used[j]:
            y = int(tk.at(j))
            top = max(p.facts.max_year or y, y)
            lo = p.facts.min_date.year if p.facts.min_date else y
            if since:
                y0 = y + 1 if t == "after" or toks[i] == "despues" else y
                p.years(y0, top, f"desde {y0}", f"since {y0}")
            else:
                y1 = y - 1 if t in ("before", "antes") else y
                p.years(min(lo, y1), y1, f"hasta {y1}", f"until {y1}")
            tk.mark(i, j + 1 - i)
