"""Canonical columns, their Spanish/English header synonyms, and automatic header mapping.

Headers are compared after normalisation (case, accents, punctuation and spacing ignored), so
"Calificación (1-5)", "CALIFICACION" and "calificacion_1_5" all read as "calificacion 1 5".
A header matches a synonym exactly (strong) or contains it as whole words (weak); earlier synonyms
win ties, and one header never feeds two columns.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

FEEDBACK_COLUMNS = ("feedback_id", "text", "date", "rating", "product", "brand", "category", "region",
                    "channel", "segment", "lang")

# Ordered: most specific first. Lower-priority guesses (country as region, "label" as rating) come last.
FEEDBACK_SYNONYMS: dict[str, tuple[str, ...]] = {
    "text": ("comentario", "comentarios", "comentario del cliente", "opinion", "opiniones", "resena",
             "resenas", "review", "review text", "reviews", "text", "texto", "feedback", "comment",
             "comments", "verbatim", "mensaje", "observacion", "observaciones", "body", "content",
             "contenido", "respuesta abierta", "sugerencia", "sugerencias", "post", "tweet"),
    "date": ("fecha", "date", "fecha de respuesta", "fecha respuesta", "review date", "fecha de compra",
             "fecha de publicacion", "fecha encuesta", "timestamp", "time", "created at", "created",
             "published", "posted", "dia", "periodo", "mes", "month"),
    "rating": ("calificacion", "puntuacion", "puntaje", "estrellas", "stars", "star rating", "rating",
               "score", "nota", "valoracion", "review rating", "satisfaccion", "nps", "label"),
    "feedback_id": ("id", "id encuesta", "feedback id", "review id", "doc id", "id respuesta",
                    "respuesta id", "codigo", "id comentario", "comment id", "nro", "numero", "index"),
    "product": ("producto", "product", "nombre del producto", "product name", "articulo", "item", "sku",
                "product id", "productid", "asin", "restaurant name", "restaurante", "local", "place",
                "lugar", "establecimiento", "tienda", "variedad"),
    "brand": ("marca", "brand", "fabricante", "manufacturer"),
    "category": ("categoria", "category", "linea", "linea de producto", "tipo de producto", "rubro",
                 "familia"),
    "region": ("region", "departamento", "department", "ciudad", "city", "provincia", "province",
               "zona", "state", "estado", "location", "ubicacion", "distrito", "pais", "country"),
    "channel": ("canal", "canal de compra", "canal de venta", "channel", "punto de venta", "fuente",
                "source", "plataforma", "platform", "medio", "origen"),
    "segment": ("segmento", "segment", "grupo de edad", "rango de edad", "age group", "edad", "age",
                "nse", "perfil"),
    "lang": ("idioma", "language", "lang", "lengua"),
}

MARKET_COLUMNS = ("date", "product", "category", "region", "metric", "value")
MARKET_SYNONYMS: dict[str, tuple[str, ...]] = {
    "date": ("mes", "fecha", "month", "date", "periodo", "period"),
    "year": ("ano", "anio", "year"),
    "product": ("producto", "product", "variedad", "variedadpapa", "cultivo", "crop", "item", "sku"),
    "category": ("categoria", "category", "linea", "rubro"),
    "region": ("region", "departamento", "department", "ciudad", "city", "zona", "provincia", "mercado"),
    "metric": ("metrica", "metric", "indicador", "indicator", "variable", "serie", "series", "medida"),
    "value": ("valor", "value", "monto", "cantidad", "amount"),
}

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def normalise_header(h: object) -> str:
    s = str(h).replace("\ufeff", "")
    s = _CAMEL.sub(" ", s)  # reviewRating -> review Rating
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode().lower()
    return _NON_ALNUM.sub(" ", s).strip()


def _match_score(header_norm: str, synonym: str) -> int:
    if header_norm == synonym or header_norm.replace(" ", "") == synonym.replace(" ", ""):
        return 2
    if re.search(rf"(^| ){re.escape(synonym)}( |$)", header_norm):
        return 1
    return 0


@dataclass
class Mapping:
    columns: dict[str, str] = field(default_factory=dict)   # canonical -> source header
    source: dict[str, str] = field(default_factory=dict)    # canonical -> 'auto' | 'user' | 'inferred'
    unmapped: list[str] = field(default_factory=list)        # source headers left unused


def auto_map(headers: list[str], synonyms: dict[str, tuple[str, ...]],
             overrides: dict[str, str] | None = None) -> Mapping:
    """Map source headers to canonical columns. `overrides` (canonical -> header) always win; an empty
    header in `overrides` means "leave this column unmapped" (the UI editor's "(ninguna)")."""
    overrides = dict(overrides or {})
    m = Mapping()
    used: set[str] = set()
    by_norm = {h: normalise_header(h) for h in headers}
    disabled = {c for c, h in overrides.items() if not h}
    for canon, header in overrides.items():
        if canon not in synonyms:
            raise ValueError(f"columna desconocida '{canon}': use una de {', '.join(synonyms)}")
        if not header:
            continue
        found = _find_header(header, headers)
        if found is None:
            raise ValueError(f"la columna '{header}' indicada para '{canon}' no existe; "
                             f"columnas del archivo: {', '.join(map(str, headers))}")
        m.columns[canon], m.source[canon] = found, "user"
        used.add(found)
    # Candidates: (strength, -synonym_rank, -header_position) so exact beats partial, earlier synonym wins.
    candidates = []
    for canon, syns in synonyms.items():
        if canon in m.columns or canon in disabled:
            continue
        for rank, syn in enumerate(syns):
            for pos, h in enumerate(headers):
                score = _match_score(by_norm[h], syn)
                if score:
                    candidates.append((score, -rank, -pos, canon, h))
    for score, _, _, canon, h in sorted(candidates, reverse=True):
        if canon in m.columns or h in used:
            continue
        m.columns[canon], m.source[canon] = h, "auto"
        used.add(h)
    m.unmapped = [h for h in headers if h not in used]
    return m


def _find_header(wanted: str, headers: list[str]) -> str | None:
    if wanted in headers:
        return wanted
    norm = normalise_header(wanted)
    for h in headers:
        if normalise_header(h) == norm:
            return h
    return None


def parse_map_args(items: list[str] | None) -> dict[str, str]:
    """`--map text=Comentario --map date="Fecha de compra"` -> {"text": "Comentario", ...}."""
    out = {}
    for item in items or []:
        if "=" not in item:
            raise ValueError(f"--map espera columna=Encabezado (por ejemplo text=Comentario), no '{item}'")
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def accepted_synonyms(canon: str, synonyms: dict[str, tuple[str, ...]] = FEEDBACK_SYNONYMS) -> str:
    return ", ".join(synonyms[canon])
