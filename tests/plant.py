"""Plant content shifts into real reviews, for end-to-end discovery tests.

Real comments are re-dated (nothing else changes): each month of a two-year window gets the same number of
comments; a share `rise` of them is drawn from the comments that match one food family (its own regex,
written here and independent of Sabor's lexicon), moving from `rise[0]` before the start month to
`rise[1]` from it on; likewise `fall` for a second family; the rest are drawn from comments matching
neither. Every draw is without replacement and seeded, so a test knows exactly what it planted.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"

# Food families as a stranger would define them: plain regexes over lower-case text.
FAMILY_PATTERNS = {
    "mariscos y pescados": r"\b(?:pescad\w*|marisc\w*|camar[oó]n\w*|langostin\w*|pulpo|calamar\w*|salm[oó]n"
                           r"|at[uú]n|ceviche\w*|gambas?|mejill[oó]n\w*|ostras?|almejas?|merluza|lenguado"
                           r"|trucha|bacalao|rabas|lubina|dorada|pez)\b",
    "postres y dulces": r"\b(?:postres?|helados?|tartas?|tortas?|flan|tiramis[uú]|mousse|brownies?"
                        r"|panqueques?|mochis?|cheesecake|bud[ií]n|crema catalana|pasteles?)\b",
    "pastas": r"\b(?:pastas?|ravioles|[ñn]oquis|spaghetti|espaguetis|fideos|lasa[ñn]as?|tallarines"
              r"|sorrentinos|canelones|fettuccine|penne)\b",
    "bebidas alcohólicas": r"\b(?:vinos|(?:un|el|del|buen|copa de|botella de) vino|cervezas?|c[oó]cteles?"
                           r"|tragos|champ[aá]n|espumante|malbec|cabernet|sangr[ií]a)\b",
    "carnes": r"\b(?:carnes?|bifes?|lomo|asado|cerdo|cordero|ternera|chorizos?|milanesas?|entra[ñn]a"
              r"|costillas?)\b",
}


@dataclass(frozen=True)
class Planted:
    frame: pd.DataFrame          # the file to load: comentario, fecha (dd/mm/aaaa), calificación, producto
    rising: str
    falling: str
    start_month: str             # YYYY-MM
    rates: dict                  # measured shares before/after, per family (by its own regex)


def plant(texts: pd.DataFrame, rising: str, falling: str, start_month: str = "2024-07", n: int = 3000,
          rise: tuple[float, float] = (0.05, 0.25), fall: tuple[float, float] = (0.12, 0.06),
          first_month: str = "2024-01", months: int = 24, seed: int = 0) -> Planted:
    """`texts`: real comments with columns text (and optionally rating, product)."""
    rng = np.random.default_rng(seed)
    low = texts["text"].str.lower()
    up = low.str.contains(FAMILY_PATTERNS[rising], regex=True)
    down = low.str.contains(FAMILY_PATTERNS[falling], regex=True)
    pools = {"up": list(rng.permutation(np.flatnonzero(up & ~down))),
             "down": list(rng.permutation(np.flatnonzero(down & ~up))),
             "rest": list(rng.permutation(np.flatnonzero(~up & ~down)))}
    periods = pd.period_range(first_month, periods=months, freq="M")
    per_month = n // months
    rows = []
    for p in periods:
        after = p >= pd.Period(start_month, "M")
        k_up = round(per_month * rise[after])
        k_down = round(per_month * fall[after])
        take = {"up": k_up, "down": k_down, "rest": per_month - k_up - k_down}
        for pool, k in take.items():
            if len(pools[pool]) < k:
                raise ValueError(f"not enough comments for {pool}: need {k}, have {len(pools[pool])}")
            idx, pools[pool] = pools[pool][:k], pools[pool][k:]
            days = rng.integers(1, p.days_in_month + 1, k)
            rows += [(i, f"{d:02d}/{p.month:02d}/{p.year}", pool) for i, d in zip(idx, days)]
    sel = pd.DataFrame(rows, columns=["i", "fecha", "pool"])
    src = texts.iloc[sel["i"]].reset_index(drop=True)
    frame = pd.DataFrame({"comentario": src["text"], "fecha": sel["fecha"]})
    for col, name in (("rating", "calificación"), ("product", "producto")):
        if col in src:
            frame[name] = src[col].to_numpy()
    month = pd.to_datetime(sel["fecha"], format="%d/%m/%Y").dt.to_period("M")
    after = month >= pd.Period(start_month, "M")
    rates = {fam: (float((sel["pool"] == pool)[~after].mean()), float((sel["pool"] == pool)[after].mean()))
             for fam, pool in ((rising, "up"), (falling, "down"))}
    return Planted(frame.sample(frac=1.0, random_state=seed).reset_index(drop=True), rising, falling,
                   start_month, rates)


def tripadvisor() -> pd.DataFrame:
    df = pd.read_csv(SHARED / "real" / "tripadvisor_sevilla_japanese_es.csv", encoding="utf-8-sig")
    return _clean(df.rename(columns={"review_rating": "rating", "restaurant_name": "product"}))


def guiaoleo(n: int = 40_000, seed: int = 3) -> pd.DataFrame:
    df = pd.read_csv(SHARED / "train" / "guiaoleo_buenosaires_restaurants_es.csv")
    df = df.sample(n, random_state=seed)
    return _clean(df.assign(rating=df["comida"].map({1: 1, 2: 3, 3: 4, 4: 5})))


def _clean(df: pd.DataFrame) -> pd.DataFrame:
    text = df["text"].astype("string").str.replace(r"<br\s*/?>", " ", regex=True).str.strip()
    out = df.assign(text=text)
    out = out[out["text"].str.len().fillna(0) > 20].drop_duplicates("text")
    return out[[c for c in ("text", "rating", "product") if c in out]].reset_index(drop=True)


def months_apart(a: str, b: str) -> int:
    (ya, ma), (yb, mb) = (map(int, x.split("-")[:2]) for x in (a, b))
    return abs((yb - ya) * 12 + mb - ma)


