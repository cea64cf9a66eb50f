"""The insights report: Markdown, HTML or PDF, with the key charts as images, plus CSV of its tables.

`write_report(store, fmt, output)` is what `sabor report` and the Recomendaciones page call. Charts are
drawn with matplotlib (Agg, no display, no browser) and the PDF is laid out with fpdf2 using the DejaVu
fonts that ship inside matplotlib, so accents and "−" render in a slim container with no system fonts.
Next to the report: `<stem>_recomendaciones.csv`, `<stem>_impulsores.csv`, `<stem>_segmentos.csv`;
Markdown also writes its PNGs into `<stem>_archivos/`.
"""
from __future__ import annotations

import base64
import io
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from analysis.exports import plain, safe_csv_bytes
from analysis.filters import Filters
from analysis.insight import cells, discoveries, drivers, narrative, recommendations, trends, wording

FORMATS = ("md", "html", "pdf")
# pyplot keeps global state: two threads drawing at once (the dashboard and the API share one process)
# would mix their figures. Charts are drawn one report at a time.
_CHARTS_LOCK = threading.Lock()
AUD_ES = {"producto": "Desarrollo de producto", "marketing": "Marketing", "riesgo": "Riesgos"}


@dataclass
class ReportData:
    recs: pd.DataFrame
    drivers: pd.DataFrame
    segments: pd.DataFrame
    segment_pair: tuple[str, str] | None
    summary: dict
    n_comments: int
    first_date: object
    last_date: object
    n_mentions: int = 0                                         # taste mentions behind the findings
    findings: pd.DataFrame = field(default_factory=pd.DataFrame)    # content findings (discoveries)
    charts: dict[str, bytes] = field(default_factory=dict)   # name -> PNG bytes
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


def gather(store, filters: Filters | None = None, lang: str = "es", today=None,
           with_charts: bool = True) -> ReportData:
    """Every fact of the report, and its charts unless `with_charts` is False: what both the report and the
    Recomendaciones page show, gathered in one pass over the database."""
    den, mk = cells.load_cells(store, filters)
    n = int(den["n"].sum()) if len(den) else 0
    first = den["month"].min().date() if len(den) else None
    last = cells.last_date(store, filters) if len(den) else None
    findings = discoveries.discover(store, filters, today) if n else pd.DataFrame(columns=discoveries.COLUMNS)
    recs = recommendations.recommendations(store, filters, lang=lang, today=today, cells=(den, mk),
                                           findings=findings)
    drv = drivers.drivers(den, mk) if len(mk) else drivers.drivers(den.iloc[:0], mk)
    regions = (den.groupby("region")["n"].sum().sort_values(ascending=False) if len(den)
               else pd.Series(dtype=int))
    regions = regions[regions.index != cells.NO_REGION]
    pair, seg = None, pd.DataFrame()
    if len(regions) >= 2:
        pair = (regions.index[0], regions.index[1])
        seg = drivers.compare_segments(cells.segment_counts(store, "region", *pair, filters), *pair)
    facts = narrative.build_facts(recs, drv, n, first, last)
    data = ReportData(recs, drv, seg, pair, narrative.executive_summary(facts, lang), n, first, last, len(mk),
                      findings)
    data.tables = {"recomendaciones": recommendations.recommendations_table(recs), "impulsores": drv,
                   "segmentos": seg, "hallazgos": findings_table(findings)}
    if with_charts:
        series = content_series(store, findings, filters)
        with _CHARTS_LOCK:
            data.charts = charts(den, mk, recs, drv, series)
    return data


def insights_json(store, filters: Filters | None = None, lang: str = "es", today=None) -> dict:
    """What `sabor insights --format json` prints and `GET /api/v1/insights` returns: the report's facts
    without charts — the executive summary, the ranked recommendations with their evidence (numbers, three
    PII-redacted comments, market sentence) and the content findings."""
    d = gather(store, filters, lang, today, with_charts=False)
    recs = d.recs.drop(columns=["market"], errors="ignore")
    return {"lang": lang, "filters": (filters or Filters()).as_dict(),
            "data": {"comments": d.n_comments, "first_month": plain(d.first_date),
                     "last_date": plain(d.last_date), "taste_mentions": d.n_mentions},
            "summary": plain(d.summary), "recommendations": plain(recs), "findings": plain(d.findings)}


def findings_table(findings: pd.DataFrame) -> pd.DataFrame:
    """Content findings as a flat table for CSV export (lists joined)."""
    out = findings.drop(columns=["verbatims"], errors="ignore").copy()
    if "related" in out:
        out["related"] = out["related"].map(lambda v: " | ".join(v) if isinstance(v, list) else "")
    return out


def content_series(store, findings: pd.DataFrame, filters: Filters | None = None, top: int = 4) -> dict:
    """Monthly share of the leading content findings: {key: DataFrame(period, share)}."""
    out = {}
    lead = findings[findings["explained_by"].isna()].head(top) if len(findings) else findings
    for f in lead.to_dict("records"):
        over = trends.over_time(store, f["dimension"], filters, "month", (f["segment_type"],))
        s = over[(over["key"] == f["key"]) & (over["metric"] == "share") & (over["polarity"] == "all")
                 & (over["segment"] == f["segment"]) & ~over["partial"]]
        out[f["key"]] = (s[["period", "share"]], f["start_month"])
    return out


# ---------------------------------------------------------------------------------------------
# Charts (PNG bytes)
# ---------------------------------------------------------------------------------------------

def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buf.getvalue()


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)[:2])


def charts(den: pd.DataFrame, mk: pd.DataFrame, recs: pd.DataFrame, drv: pd.DataFrame,
           content: dict | None = None, top: int = 4) -> dict:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates
    import matplotlib.pyplot as plt

    out = {}
    taste = recs[recs["kind"] == "taste"] if "kind" in recs else recs
    if len(taste):
        rows = taste.head(top).to_dict("records")
        ncol = 2 if len(rows) > 1 else 1
        nrow = (len(rows) + ncol - 1) // ncol
        fig, axes = plt.subplots(nrow, ncol, figsize=(9, 2.4 * nrow), squeeze=False)
        for ax in axes.ravel()[len(rows):]:
            ax.set_visible(False)
        for ax, r in zip(axes.ravel(), rows):
            sm = cells.segment_months(den, mk, r["attribute"], r["polarity"], r["products"], r["regions"])
            sm = sm[sm["n"] > 0]
            ax.plot(sm["month"], 100 * sm["k"] / sm["n"], marker="o", ms=3, color="#c0392b"
                    if r["polarity"] == "negative" else "#1e8449")
            ax.axvline(pd.Timestamp(r["start_month"] + "-01"), color="#555", ls="--", lw=1)
            ax.set_ylabel("% comentarios", fontsize=8)
            ax.tick_params(labelsize=7)
            ax.xaxis.set_major_locator(matplotlib.dates.MonthLocator(bymonth=(1, 7)))
            ax.xaxis.set_major_formatter(matplotlib.dates.DateFormatter("%Y-%m"))
            ax.set_title(_wrap(f"{r['rank']}. {r['title']}", 52), fontsize=8, loc="left")
            ax.grid(alpha=0.3)
        fig.tight_layout()
        out["tendencias"] = _png(fig)
    if content:
        fig, axes = plt.subplots(1, len(content), figsize=(9, 2.4), squeeze=False)
        for ax, (key, (s, start)) in zip(axes.ravel(), content.items()):
            ax.plot(s["period"], 100 * s["share"], marker="o", ms=3, color="#2e6b8a")
            ax.axvline(pd.Timestamp(start + "-01"), color="#555", ls="--", lw=1)
            ax.set_title(_wrap(key, 30), fontsize=8, loc="left")
            ax.set_ylabel("% comentarios", fontsize=8)
            ax.tick_params(labelsize=7)
            ax.xaxis.set_major_locator(matplotlib.dates.MonthLocator(bymonth=(1, 7)))
            ax.xaxis.set_major_formatter(matplotlib.dates.DateFormatter("%Y-%m"))
            ax.grid(alpha=0.3)
        fig.tight_layout()
        out["contenido"] = _png(fig)
    if len(drv):
        d = pd.concat([drv.head(8), drv.tail(8)]).drop_duplicates(["attribute", "polarity"])
        labels = d["attribute"] + (" (" + d["polarity"].map({"negative": "−", "positive": "+"}) + ")")
        fig, ax = plt.subplots(figsize=(8, 0.32 * len(d) + 1))
        ax.barh(labels, d["impact"], color=["#c0392b" if v < 0 else "#1e8449" for v in d["impact"]])
        ax.errorbar(d["impact"], labels, xerr=[d["impact"] - d["ci_low"], d["ci_high"] - d["impact"]],
                    fmt="none", ecolor="#333", lw=0.8)
        ax.axvline(0, color="#333", lw=0.8)
        ax.set_xlabel("estrellas: con la mención − sin ella (IC 95%)")
        ax.set_title("Qué resta y qué suma estrellas", fontsize=10, loc="left")
        ax.invert_yaxis()
        fig.tight_layout()
        out["impulsores"] = _png(fig)
    return out


# ---------------------------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------------------------

def _rec_lines(r: dict) -> list[str]:
    regions = ", ".join(r["regions"]) if r["regions"] else "todas"
    products = ", ".join(r["products"]) if len(r["products"]) else "todos"
    stars = ("" if pd.isna(r["stars_before"]) else
             f" · estrellas {r['stars_before']:.2f} → {r['stars_after']:.2f}")
    return [
        f"Audiencia: {AUD_ES[r['audience']]} · prioridad {r['priority']:.1f} · confianza {r['confidence']}",
        (f"Segmento: {products} · regiones: {regions} · "
         f"desde {r['start_month']} hasta {r['end_month']}"),
        (f"Antes: {r['k_before']:,}/{r['n_before']:,} ({wording.fmt_pct(r['rate_before'])}) · "
         f"después: {r['k_after']:,}/{r['n_after']:,} ({wording.fmt_pct(r['rate_after'])})"
         f"{stars} · q = {r['q']:.1e}"),
    ]


def _finding_lines(d: ReportData) -> list[tuple[str, list[str]]]:
    """(line, verbatims) per content finding, the explained ones last with their cause."""
    out = []
    for f in d.findings.to_dict("records"):
        level = wording.LEVEL_WORDS[f["level"]][0]
        if f["explained_by"] is not None and not pd.isna(f["explained_by"]):
            out.append((f"{wording.content_headline(f)} ({level}): no es un cambio propio, se explica "
                        f"porque {f['explained_by']} cambió en sentido contrario.", []))
            continue
        related = f" Relacionado: {', '.join(f['related'])}." if len(f["related"]) else ""
        out.append((f"{wording.content_headline(f)} ({level}; q = {f['q']:.1e}).{related}",
                    list(f["verbatims"] or [])[:2]))
    return out


def _intro(d: ReportData) -> str:
    span = f"{d.first_date} a {d.last_date}" if d.first_date else "sin fechas"
    return f"{d.n_comments:,} comentarios · {span} · generado el {date.today():%d/%m/%Y}"


def _markdown(d: ReportData, img: dict[str, str]) -> str:
    md = wording.md_escape
    out = ["# Informe de recomendaciones — Sabor", "", _intro(d), "", "## Resumen ejecutivo", "",
           md(d.summary["text"]), "", f"_Fuente del resumen: {d.summary['source']}_", ""]
    out += ["## Lo que cambió en los comentarios", ""]
    lines = _finding_lines(d)
    if not lines:
        out += ["Ningún alimento, tema o palabra cambió de forma significativa en el tiempo.", ""]
    for line, verbatims in lines:
        out += [f"- {md(line)}"] + [f"  > {md(v)}" for v in verbatims]
    out += [""]
    if "contenido" in img:
        out += [f"![Lo que cambió]({img['contenido']})", ""]
    out += ["## Recomendaciones", ""]
    if d.recs.empty:
        out += ["Sin cambios significativos en el tiempo: no hay recomendaciones que respaldar con datos.",
                ""]
    for r in d.recs.to_dict("records"):
        out += [f"### {r['rank']}. {md(r['title'])}", "", md(r["text"]), ""]
        if r.get("market_text"):
            out += [md(r["market_text"]), ""]
        out += [f"- {md(x)}" for x in _rec_lines(r)]
        out += [f"- Vista: [{md(r['link'])}]({r['link']})", "", "Comentarios representativos:", ""]
        for v in r["verbatims"]:
            out += [f"> {md(v)}", ""]
    if "tendencias" in img:
        out += ["## Evolución de los hallazgos principales", "", f"![Tendencias]({img['tendencias']})", ""]
    out += ["## Qué resta y qué suma estrellas", ""]
    if "impulsores" in img:
        out += [f"![Impulsores]({img['impulsores']})", ""]
    if len(d.drivers):
        t = d.drivers.head(10)[["attribute", "polarity", "mentions", "stars_with", "stars_without", "impact"]]
        out += [t.round(2).to_markdown(index=False) if _has_tabulate()
                else "```\n" + t.round(2).to_string(index=False) + "\n```", ""]
    if d.segment_pair:
        a, b = (md(x) for x in d.segment_pair)   # region names are the user's data
        sig = d.segments[d.segments["significant"]].head(10)
        out += [f"## Segmentos: {a} vs {b}", ""]
        if sig.empty:
            out += ["Sin diferencias significativas.", ""]
        for r in sig.to_dict("records"):
            out.append(f"- {md(r['attribute'])} ({r['polarity']}): {wording.fmt_pct(r['share_a'])} en {a} vs "
                       f"{wording.fmt_pct(r['share_b'])} en {b} (q = {r['q']:.1e})")
        out.append("")
    return "\n".join(out)


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
        return True
    except ImportError:
        return False


_OWN_IMAGE = "data:image/png;base64,"


def _html(d: ReportData) -> str:
    """HTML from the report's Markdown: raw HTML off (user text is escaped as text before), and images only
    from the report itself (its charts, embedded as data URIs): any other image is rendered as its alt
    text, so no remote image (a tracking beacon) can ever be fetched by whoever opens the report."""
    from markdown_it import MarkdownIt

    img = {k: _OWN_IMAGE + base64.b64encode(v).decode() for k, v in d.charts.items()}
    md = _markdown(d, img)
    parser = MarkdownIt("commonmark", {"html": False}).enable("table")
    default_image = parser.renderer.rules["image"]

    def own_images_only(self, tokens, idx, options, env):
        if not str(tokens[idx].attrGet("src") or "").startswith(_OWN_IMAGE):
            return self.renderInline(tokens[idx].children or [], options, env)
        return default_image(tokens, idx, options, env)

    parser.add_render_rule("image", own_images_only)
    body = parser.render(md)
    return ("<!doctype html><html lang='es'><head><meta charset='utf-8'><title>Informe Sabor</title>"
            "<style>body{font-family:sans-serif;max-width:900px;margin:2em auto;line-height:1.45}"
            "img{max-width:100%}"
            "blockquote{color:#444;border-left:3px solid #ccc;margin-left:0;padding-left:1em}"
            "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px}</style></head><body>"
            + body + "</body></html>")


def _pdf(d: ReportData) -> bytes:
    import matplotlib
    from fpdf import FPDF

    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdf = FPDF(format="A4")
    pdf.add_font("dejavu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("dejavu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    w = pdf.w - pdf.l_margin - pdf.r_margin

    def h(text, size=13):
        pdf.set_font("dejavu", "B", size)
        pdf.multi_cell(w, 7, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)

    def p(text, size=9.5):
        pdf.set_font("dejavu", "", size)
        pdf.multi_cell(w, 5, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)

    h("Informe de recomendaciones — Sabor", 16)
    p(_intro(d))
    h("Resumen ejecutivo")
    p(d.summary["text"])
    if "tendencias" in d.charts:
        h("Evolución de los hallazgos principales")
        pdf.image(io.BytesIO(d.charts["tendencias"]), w=w)
    h("Lo que cambió en los comentarios")
    lines = _finding_lines(d)
    if not lines:
        p("Ningún alimento, tema o palabra cambió de forma significativa en el tiempo.")
    for line, verbatims in lines:
        p("• " + line)
        for v in verbatims:
            p("“" + v + "”", 8.5)
    if "contenido" in d.charts:
        pdf.image(io.BytesIO(d.charts["contenido"]), w=w)
    h("Recomendaciones")
    if d.recs.empty:
        p("Sin cambios significativos en el tiempo: no hay recomendaciones que respaldar con datos.")
    for r in d.recs.to_dict("records"):
        h(f"{r['rank']}. {r['title']}", 11)
        p(r["text"])
        if r.get("market_text"):
            p(r["market_text"])
        for line in _rec_lines(r):
            p("• " + line, 8.5)
        p("Vista: " + r["link"], 8)
        for v in r["verbatims"]:
            p("“" + v + "”", 8.5)
    if "impulsores" in d.charts:
        h("Qué resta y qué suma estrellas")
        pdf.image(io.BytesIO(d.charts["impulsores"]), w=w * 0.9)
    if d.segment_pair:
        a, b = d.segment_pair
        h(f"Segmentos: {a} vs {b}")
        sig = d.segments[d.segments["significant"]].head(10)
        if sig.empty:
            p("Sin diferencias significativas.")
        for r in sig.to_dict("records"):
            p(f"• {r['attribute']} ({r['polarity']}): {wording.fmt_pct(r['share_a'])} en {a} vs "
              f"{wording.fmt_pct(r['share_b'])} en {b} (q = {r['q']:.1e})")
    return bytes(pdf.output())


def render(d: ReportData, fmt: str) -> bytes:
    """The report as bytes (Markdown embeds its charts as data URIs when rendered this way)."""
    if fmt not in FORMATS:
        raise ValueError(f"Formato no soportado: {fmt!r}; use md, html o pdf")
    if fmt == "pdf":
        return _pdf(d)
    if fmt == "html":
        return _html(d).encode("utf-8")
    img = {k: "data:image/png;base64," + base64.b64encode(v).decode() for k, v in d.charts.items()}
    return _markdown(d, img).encode("utf-8")


def write_report(store, fmt: str, output, filters: Filters | None = None, lang: str = "es",
                 today=None) -> Path:
    """Write the report and its CSV tables next to `output`; returns the report's path."""
    if fmt not in FORMATS:
        raise ValueError(f"Formato no soportado: {fmt!r}; use md, html o pdf")
    out = Path(output).expanduser()
    out.parent.mkdir(parents=True, exist_ok=True)
    d = gather(store, filters, lang, today)
    if fmt == "md":
        folder = out.parent / f"{out.stem}_archivos"
        folder.mkdir(exist_ok=True)
        img = {}
        for name, png in d.charts.items():
            (folder / f"{name}.png").write_bytes(png)
            img[name] = f"{folder.name}/{name}.png"
        out.write_text(_markdown(d, img), encoding="utf-8")
    else:
        out.write_bytes(render(d, fmt))
    for name, table in d.tables.items():
        (out.parent / f"{out.stem}_{name}.csv").write_bytes(safe_csv_bytes(table))
    return out
