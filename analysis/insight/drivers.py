"""What drives satisfaction (stars with a mention vs without it) and how two segments differ."""
from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.stats import bh_qvalues, mean_diff, two_proportion


def drivers(den: pd.DataFrame, mk: pd.DataFrame, by: str | None = None,
            min_mentions: int = 20) -> pd.DataFrame:
    """Per attribute x polarity (x `by`: product or region): how many comments mention it and the mean
    stars of those comments minus the mean stars of the rest, with a 95% CI. Sorted from the mention that
    costs the most stars to the one that delights most."""
    keys = ["attribute", "polarity"] + ([by] if by else [])
    tot = den.groupby([by] if by else lambda _: 0)[["n", "n_rated", "s_rating", "ss_rating"]].sum()
    g = mk.groupby(keys)[["k", "k_rated", "s_rating", "ss_rating"]].sum().reset_index()
    if g.empty:
        return pd.DataFrame(columns=keys + ["mentions", "share", "stars_with", "stars_without", "impact",
                                            "ci_low", "ci_high", "significant"])
    t = tot.loc[g[by]].reset_index(drop=True) if by else tot.iloc[[0] * len(g)].reset_index(drop=True)
    m1, m0, d, lo, hi = mean_diff(g["s_rating"], g["ss_rating"], g["k_rated"],
                                   t["s_rating"] - g["s_rating"], t["ss_rating"] - g["ss_rating"],
                                   t["n_rated"] - g["k_rated"])
    out = g[keys].assign(mentions=g["k"].astype(int), share=g["k"] / t["n"], stars_with=m1, stars_without=m0,
                         impact=d, ci_low=lo, ci_high=hi)
    out["significant"] = (out["ci_low"] > 0) | (out["ci_high"] < 0)
    out = out[out["mentions"] >= min_mentions]
    return out.sort_values("impact").reset_index(drop=True)


def compare_segments(counts: pd.DataFrame, a: str, b: str, alpha: float = 0.05,
                     min_n: int = 30) -> pd.DataFrame:
    """Two-proportion test per feature, side a vs side b, Benjamini-Hochberg across features."""
    cols = ["attribute", "polarity", "k_a", "n_a", "share_a", "k_b", "n_b", "share_b", "diff", "ci_low",
            "ci_high", "p", "q", "significant"]
    if counts.empty:
        return pd.DataFrame(columns=cols)
    wide = counts.pivot_table(index=["attribute", "polarity"], columns="side", values=["k", "n"],
                              aggfunc="sum")
    nside = counts.groupby(["side", counts["attribute"] == "sentimiento"])["n"].max()
    df = pd.DataFrame(index=wide.index).reset_index()
    is_sent = df["attribute"] == "sentimiento"
    for tag, side in (("a", a), ("b", b)):
        df[f"k_{tag}"] = wide["k"][side].fillna(0).to_numpy() if side in wide["k"] else 0
        n_att = nside.get((side, False), 0)
        n_sent = nside.get((side, True), 0)
        df[f"n_{tag}"] = np.where(is_sent, n_sent, n_att)
    ok = (df["n_a"] >= min_n) & (df["n_b"] >= min_n)
    pa, pb, diff, lo, hi, _, p = two_proportion(df["k_a"], df["n_a"], df["k_b"], df["n_b"])
    df["share_a"], df["share_b"] = pa, pb
    # diff = a - b (two_proportion gives second minus first)
    df["diff"], df["ci_low"], df["ci_high"] = -diff, -hi, -lo
    df["p"] = np.where(ok, p, np.nan)
    df["q"] = bh_qvalues(df["p"])
    df["significant"] = df["q"] < alpha
    df[["k_a", "k_b", "n_a", "n_b"]] = df[["k_a", "k_b", "n_a", "n_b"]].astype(int)
    return df[cols].sort_values(["significant", "q"], ascending=[False, True]).reset_index(drop=True)
