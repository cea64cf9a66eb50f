"""Alert rules on taste shifts: what a rule is, where rules come from, which significant shifts they match,
and the alert a new matching shift becomes (one sentence with the numbers, three real comments with
personal data hidden, a link to the filtered Tendencias view).

A rule names a dimension, key, polarity, measure and segment (each may be "any"), a direction, a minimum
effect in percentage points, a maximum q-value and a minimum volume (comments in the segment since the
shift started). Rules come from the dashboard (table `alert_rules`) and from a YAML file
(`SABOR_ALERT_RULES` or `sabor refresh --rules FILE`):

    rules:
      - name: Empaque roto
        dimension: attribute      # attribute | mention | topic | term | product | region | any
        key: empaque              # a key or a list of keys, or any
        polarity: negative        # positive | negative | neutral | all | any
        direction: up             # up | down | any
        min_effect_pp: 5
        max_q: 0.01
        min_volume: 100

`match` and `group` are pure functions (rules x shifts -> alerts); only `build_message` reads the store
(for the comments). A *series* (dimension, key, polarity, measure, segment, direction) is told once:
the series an alert tells are recorded, and a later refresh alerts only on series never told. The
significant series of one story (a key rising in several segments, its complaints and its mentions) are
one alert, led by its most significant series, the others listed as "also in".
"""
from __future__ import annotations

import hashlib
import os
import re
import unicodedata
import uuid
from dataclasses import dataclass, fields
from pathlib import Path

import pandas as pd
import yaml

from analysis.insight import trends, wording
from analysis.insight.recommendations import content_link
from analysis.months import months_between
from analysis.privacy import redact
from analysis.store import refresh as rstore

ANY = "any"
DIMENSIONS = trends.BY_CHOICES
POLARITIES = ("positive", "negative", "neutral", "all")
METRICS = ("share", "negative_share")
SEGMENT_TYPES = ("all", "category", "product", "region", "zone", "category_region")
DIRECTIONS = ("up", "down")
POLAR_DIMENSIONS = ("attribute", "mention")
N_VERBATIMS = 3
MAX_ALSO = 5


class RuleError(ValueError):
    """A rule that cannot be used; the message names the rule and the field."""


@dataclass(frozen=True)
class Rule:
    name: str
    rule_id: str = ""
    dimension: str = ANY
    key: tuple[str, ...] = ()          # empty = any
    polarity: str = ANY
    metric: str = ANY
    segment_type: str = ANY
    segment: tuple[str, ...] = ()      # empty = any
    direction: str = ANY
    min_effect_pp: float = 0.0
    max_q: float = 0.05
    min_volume: int = 0
    recent_months: int | None = None   # only shifts that started within the last N months of the data
    enabled: bool = True
    source: str = "dashboard"          # "dashboard" or the YAML file it was read from

    def spec(self) -> dict:
        """The rule as a plain dict (what YAML and the database store), "any" written out."""
        out = {}
        for f in fields(self):
            if f.name in ("rule_id", "source"):
                continue
            v = getattr(self, f.name)
            if f.name in ("key", "segment"):
                v = ANY if not v else (v[0] if len(v) == 1 else list(v))
            out[f.name] = v
        if out["recent_months"] is None:
            del out["recent_months"]
        return out


_FIELDS = {f.name for f in fields(Rule)} - {"rule_id", "source"}


def _choice(value, allowed: tuple[str, ...], name: str, field_: str) -> str:
    v = ANY if value is None else str(value).strip().lower()
    if v != ANY and v not in allowed:
        raise RuleError(f"regla '{name}': {field_} debe ser uno de {', '.join(allowed + (ANY,))} "
                        f"(recibido: {value!r})")
    return v


def _values(value) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, (list, tuple)) else [value]
    out = tuple(str(v).strip() for v in items if str(v).strip())
    return () if any(fold(v) == ANY for v in out) else out


def _number(value, name: str, field_: str, lo: float, hi: float | None = None) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise RuleError(f"regla '{name}': {field_} debe ser un número (recibido: {value!r})") from None
    if v < lo or (hi is not None and v > hi):
        raise RuleError(f"regla '{name}': {field_} fuera de rango ({value!r}; entre {lo} y {hi or '∞'})")
    return v


def parse_rule(d: dict, rule_id: str | None = None, source: str = "dashboard") -> Rule:
    """A validated Rule from a dict (a YAML entry or the dashboard form). Raises RuleError."""
    if not isinstance(d, dict):
        raise RuleError(f"cada regla debe ser un mapa de campos, no {type(d).__name__}")
    name = str(d.get("name") or "").strip()
    if not name:
        raise RuleError("una regla no tiene nombre (campo name)")
    unknown = set(d) - _FIELDS - {"id", "rule_id"}
    if unknown:
        raise RuleError(f"regla '{name}': campos desconocidos {sorted(unknown)}; use {sorted(_FIELDS)}")
    recent = d.get("recent_months")
    enabled = d.get("enabled", True)
    if not isinstance(enabled, bool):
        raise RuleError(f"regla '{name}': enabled debe ser true o false")
    return Rule(
        name=name, rule_id=str(rule_id or d.get("rule_id") or d.get("id") or _rule_id(name, source)),
        dimension=_choice(d.get("dimension"), DIMENSIONS, name, "dimension"),
        key=_values(d.get("key")), polarity=_choice(d.get("polarity"), POLARITIES, name, "polarity"),
        metric=_choice(d.get("metric"), METRICS, name, "metric"),
        segment_type=_choice(d.get("segment_type"), SEGMENT_TYPES, name, "segment_type"),
        segment=_values(d.get("segment")),
        direction=_choice(d.get("direction"), DIRECTIONS, name, "direction"),
        min_effect_pp=_number(d.get("min_effect_pp", 0), name, "min_effect_pp", 0, 100),
        max_q=_number(d.get("max_q", 0.05), name, "max_q", 0, 1),
        min_volume=int(_number(d.get("min_volume", 0), name, "min_volume", 0)),
        recent_months=None if recent in (None, "", ANY) else int(_number(recent, name, "recent_months", 1)),
        enabled=enabled, source=source)


def _rule_id(name: str, source: str) -> str:
    if source == "dashboard":
        return "r_" + uuid.uuid4().hex[:10]
    return "y_" + hashlib.sha256(fold(name).encode()).hexdigest()[:10]


def rules_from_yaml(text: str, source: str = "yaml") -> list[Rule]:
    """Rules from YAML text: a mapping with `rules:` or a bare list. Raises RuleError."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise RuleError(f"{source}: YAML no válido: {str(e).splitlines()[0]}") from None
    items = doc.get("rules") if isinstance(doc, dict) else doc
    if doc is None:
        items = []
    if not isinstance(items, list):
        raise RuleError(f"{source}: se espera una lista de reglas bajo 'rules:'")
    rules = [parse_rule(d, source=source) for d in items]
    names = [fold(r.name) for r in rules]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise RuleError(f"{source}: nombres de regla repetidos: {', '.join(dup)}")
    return rules


def load_rules_file(path: str | Path) -> list[Rule]:
    p = Path(path).expanduser()
    if not p.is_file():
        raise RuleError(f"{p}: el archivo de reglas no existe")
    return rules_from_yaml(p.read_text(encoding="utf-8"), source=str(p))


def rules_to_yaml(rules: list[Rule]) -> str:
    return yaml.safe_dump({"rules": [r.spec() for r in rules]}, allow_unicode=True, sort_keys=False)


def rules_file_from_env() -> str | None:
    return os.environ.get("SABOR_ALERT_RULES") or None


# --- rules kept in the database (edited in the dashboard) ------------------------------------------------

def dashboard_rules(store) -> list[Rule]:
    return [parse_rule(r["spec"] | {"name": r["name"], "enabled": r["enabled"]}, rule_id=r["rule_id"])
            for r in rstore.list_rules(store)]


def save_rule(store, data: dict, rule_id: str | None = None) -> Rule:
    """Validate and store a dashboard rule (new when `rule_id` is None). Raises RuleError."""
    rule = parse_rule(data, rule_id=rule_id)
    spec = rule.spec()
    rstore.save_rule(store, rule.rule_id, rule.name, rule.enabled, spec)
    return rule


def delete_rule(store, rule_id: str) -> bool:
    return rstore.delete_rule(store, rule_id)


def all_rules(store, rules_file: str | Path | None = None) -> list[Rule]:
    """The dashboard's rules plus those of the YAML file (`rules_file`, else SABOR_ALERT_RULES)."""
    rules = dashboard_rules(store)
    path = rules_file or rules_file_from_env()
    if path:
        rules += load_rules_file(path)
    return rules


def dimensions_for(rules: list[Rule]) -> tuple[str, ...]:
    """Dimensions the enabled rules need scanned ("any" needs all of them)."""
    dims = {r.dimension for r in rules if r.enabled}
    return DIMENSIONS if ANY in dims else tuple(d for d in DIMENSIONS if d in dims)


# --- matching (pure) -------------------------------------------------------------------------------------

def fold(s) -> str:
    """Case, accents and spacing ignored: 'Ácido ' == 'acido'."""
    s = unicodedata.normalize("NFD", str(s).casefold().strip())
    return re.sub(r"\s+", " ", "".join(c for c in s if unicodedata.category(c) != "Mn"))


def rule_matches(rule: Rule, row: dict) -> bool:
    if not rule.enabled:
        return False
    if rule.dimension != ANY and row["dimension"] != rule.dimension:
        return False
    if rule.key and fold(row["key"]) not in {fold(k) for k in rule.key}:
        return False
    if rule.polarity != ANY and row["polarity"] != rule.polarity:
        return False
    if rule.metric != ANY and row["metric"] != rule.metric:
        return False
    if rule.segment_type != ANY and row["segment_type"] != rule.segment_type:
        return False
    if rule.segment and fold(row["segment"]) not in {fold(s) for s in rule.segment}:
        return False
    if rule.direction != ANY and row["direction"] != rule.direction:
        return False
    if pd.isna(row["effect"]) or abs(float(row["effect"])) * 100 < rule.min_effect_pp:
        return False
    if pd.isna(row["q"]) or float(row["q"]) > rule.max_q:
        return False
    if int(row["n_after"]) < rule.min_volume:
        return False
    if rule.recent_months is not None and row.get("end_month"):
        if months_between(row["start_month"], row["end_month"]) >= rule.recent_months:
            return False
    return True


def match(rules: list[Rule], shifts: pd.DataFrame) -> pd.DataFrame:
    """The shifts that at least one enabled rule matches, with the names of those rules (`rules`)."""
    if shifts.empty or not rules:
        return shifts.iloc[0:0].assign(rules=pd.Series(dtype=object))
    names = [[r.name for r in rules if rule_matches(r, row)] for row in shifts.to_dict("records")]
    out = shifts.assign(rules=names)
    return out[out["rules"].map(bool)].reset_index(drop=True)


def series_key(row) -> str:
    """What identifies one series of the trend engine, with its direction: a reversal is a new shift."""
    return "|".join(str(row[c]) for c in ("dimension", "key", "polarity", "metric", "segment_type", "segment",
                                          "direction"))


def group(matched: pd.DataFrame, told: set[str] | frozenset = frozenset()) -> list[dict]:
    """New alerts from matched shifts: series already told are dropped; the rest are grouped per story
    (dimension, key, polarity, direction; a key's "any mention" series join its polar story moving the
    same way) and each group is led by its most significant series. Pure."""
    if matched.empty:
        return []
    m = matched.assign(series_key=[series_key(r) for r in matched.to_dict("records")])
    m = m[~m["series_key"].isin(told)]
    if m.empty:
        return []
    m = m.assign(_abs=-m["effect"].abs()).sort_values(["q", "_abs"], kind="stable").drop(columns="_abs")
    polar = m[m["polarity"] != "all"]
    best_polar = polar.drop_duplicates(["dimension", "key", "direction"]).set_index(
        ["dimension", "key", "direction"])["polarity"]
    story_pol = [best_polar.get((d, k, dr), p) if p == "all" else p
                 for d, k, dr, p in zip(m["dimension"], m["key"], m["direction"], m["polarity"])]
    m = m.assign(_story=story_pol)
    out = []
    for (dim, key, pol, direction), g in m.groupby(["dimension", "key", "_story", "direction"], sort=False):
        rows = g.drop(columns="_story").to_dict("records")
        lead = rows[0]
        out.append({"dimension": dim, "key": key, "polarity": pol, "direction": direction, "lead": lead,
                    "others": rows[1:], "series_keys": [r["series_key"] for r in rows],
                    "rules": sorted({n for r in rows for n in r["rules"]})})
    out.sort(key=lambda a: float(a["lead"]["q"]))
    return out


def preview(rules: list[Rule], shifts: pd.DataFrame, told: set[str] | frozenset = frozenset(),
            lang: str = "es") -> pd.DataFrame:
    """What `rules` match among `shifts` now, as the dashboard lists it: the headline, the numbers, the
    rules and whether the series was already told (then it will not be sent again). Pure."""
    m = match(rules, shifts)
    cols = ["headline", "rate_before", "rate_after", "q", "n_after", "rules", "told"]
    if m.empty:
        return pd.DataFrame(columns=cols)
    m = m.assign(headline=[wording.headline(r, lang) for r in m.to_dict("records")],
                 told=[series_key(r) in told for r in m.to_dict("records")],
                 rules=m["rules"].map(", ".join))
    return m.sort_values("q")[cols].reset_index(drop=True)


# --- the message -------------------------------------------------------------------------------------

def public_url() -> str:
    """Where people open the dashboard (SABOR_PUBLIC_URL), for links in messages."""
    return (os.environ.get("SABOR_PUBLIC_URL") or "http://127.0.0.1:8501").rstrip("/")


def alert_id_for(series_keys: list[str]) -> str:
    return "al_" + hashlib.sha256("\n".join(sorted(series_keys)).encode()).hexdigest()[:16]


def build_message(store, alert: dict, lang: str = "es", base_url: str | None = None,
                  n_verbatims: int = N_VERBATIMS) -> dict:
    """Everything a channel needs to tell one alert: title, the sentence with its numbers, where else it
    shows, three recent comments behind it (PII redacted, one line each), the link and the rules."""
    lead = alert["lead"]
    vb = trends.verbatims(store, lead["dimension"], lead["key"], lead["polarity"], lead["metric"],
                          lead["segment_type"], lead["segment"], since=lead["start_month"], limit=n_verbatims)
    comments = [wording.excerpt(redact(t), lead["key"], 300) for t in vb["text"]]
    others = [wording.series_label(r, lang) for r in alert["others"]]
    also = others[:MAX_ALSO] + ([wording.alert_word("more", lang).format(n=len(others) - MAX_ALSO)]
                                if len(others) > MAX_ALSO else [])
    link = (base_url or public_url()) + content_link(lead)
    numbers = {k: (None if pd.isna(lead[k]) else (int(lead[k]) if k.startswith(("k_", "n_")) else
                                                   float(lead[k]) if k not in ("start_month", "end_month")
                                                   else str(lead[k])))
               for k in ("rate_before", "rate_after", "effect", "q", "k_before", "n_before", "k_after",
                         "n_after", "start_month", "end_month") if k in lead}
    return {
        "lang": lang, "title": wording.alert_title(lead, lang), "headline": wording.headline(lead, lang),
        "sentence": wording.alert_sentence(lead, lang),
        "shift": {c: lead[c] for c in ("dimension", "key", "polarity", "metric", "segment_type", "segment",
                                       "direction")} | numbers,
        "also_in": also, "comments": comments, "link": link, "rules": alert["rules"],
        "labels": {k: wording.alert_word(k, lang) for k in ("comments", "also", "rules", "open")},
    }
