"""Make Sabor's synthetic demo data: consumer comments, their taste truth, and monthly market trends.

Everything comes from one seeded numpy Generator, so `python data/make_demo.py` rewrites the three CSVs
byte-identically. No real consumer wrote any of these comments. Phrase banks are data (top of file);
each comment is built from clauses tagged (attribute, polarity), and the planted shifts in SHIFTS change
only the rate of one (attribute, polarity) in one product x region x month cell, so a shift detector
should find exactly those. `--update-readme` pastes the measured shift table into data/README.md.
"""
from __future__ import annotations

import argparse
import itertools
import re
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 8
MONTHS = [str(p) for p in pd.period_range("2024-01", "2025-12", freq="M")]
BASE_PER_MONTH = 560                       # comments per month before seasonality
SEASON = [1.06, 1.02, 0.98, 0.95, 0.96, 0.97, 1.01, 0.99, 0.96, 0.99, 1.03, 1.08]  # by calendar month
ENGLISH_SHARE, PII_SHARE = 0.15, 0.005
FEEDBACK_FILE, TRUTH_FILE, MARKET_FILE = "demo_feedback.csv", "demo_truth.csv", "demo_market.csv"

# name, brand (fictional), category, kind (picks texture/temperature phrases), es noun, en noun,
# main ingredient es/en, share of comments, list price S/
PRODUCTS = [
    ("Chicha morada embotellada 500 ml", "Wari Morada", "bebidas", "fria", "la chicha morada",
     "the chicha morada", "maíz morado", "purple corn", 0.13, 3.50),
    ("Gaseosa Qhapaq Cola 500 ml", "Qhapaq Cola", "bebidas", "fria", "la Qhapaq Cola", "Qhapaq Cola",
     "fruta", "fruit", 0.12, 2.50),
    ("Café de Chanchamayo 250 g", "Cafetal Selva Central", "bebidas", "caliente", "el café de Chanchamayo",
     "the Chanchamayo coffee", "café", "coffee", 0.08, 18.90),
    ("Helado de lúcuma 1 L", "Helados Misky", "lácteos", "cremoso", "el helado de lúcuma",
     "the lucuma ice cream", "lúcuma", "lucuma", 0.08, 14.90),
    ("Yogur bebible de fresa 1 L", "Valle Sagrado Lácteos", "lácteos", "cremoso", "el yogur de fresa",
     "the strawberry yogurt", "fresa", "strawberry", 0.11, 7.50),
    ("Galletas de kiwicha", "Andes Granos", "dulces", "crocante", "las galletas de kiwicha",
     "the kiwicha cookies", "kiwicha", "kiwicha", 0.10, 4.20),
    ("Chocolate de Cusco 70% cacao", "Qori Kakaw", "dulces", "chocolate", "el chocolate de Cusco",
     "the Cusco chocolate", "cacao", "cacao", 0.07, 12.90),
    ("Chifles de plátano", "Crocantes Tallán", "snacks", "crocante", "los chifles", "the plantain chips",
     "plátano", "plantain", 0.10, 3.00),
    ("Snacks de camote", "Camotito", "snacks", "crocante", "los snacks de camote",
     "the sweet potato chips", "camote", "sweet potato", 0.09, 3.80),
    ("Salsa de ají amarillo 400 g", "Ají Mamita", "salsas", "salsa", "la salsa de ají amarillo",
     "the ají amarillo sauce", "ají amarillo", "ají amarillo", 0.12, 8.50),
]
P = {row[0]: i for i, row in enumerate(PRODUCTS)}
CHICHA, GASEOSA, CAFE, HELADO, YOGUR, GALLETAS, CHOCOLATE, CHIFLES, CAMOTE, SALSA = (r[0] for r in PRODUCTS)
# Population-weighted (Lima largest). SOUTH_TILT: ají sauce and snacks sell more in the south.
REGIONS = {"Lima": 0.32, "Arequipa": 0.13, "Cusco": 0.11, "La Libertad": 0.10, "Piura": 0.10,
           "Lambayeque": 0.08, "Junín": 0.08, "Loreto": 0.08}
SOUTH, SOUTH_TILT = ("Arequipa", "Cusco"), {SALSA: 1.8, CHIFLES: 1.5, CAMOTE: 1.5}
REGION_PRICE = {"Lima": 1.0, "Arequipa": 1.02, "Cusco": 1.05, "La Libertad": 0.98, "Piura": 0.98,
                "Lambayeque": 0.97, "Junín": 1.0, "Loreto": 1.15}
CHANNELS = {"Bodega": 0.40, "Supermercado": 0.35, "E-commerce / redes sociales": 0.25}
AGE_GROUPS = {"18-24": 0.22, "25-34": 0.30, "35-44": 0.24, "45+": 0.24}

# The Sabor taste taxonomy (a contract). Default per comment: (mention rate, share positive, share negative).
ATTRIBUTES = {
    "dulce": (0.06, .55, .30), "salado": (0.02, .50, .30), "picante": (0.0, .65, .25),
    "ácido": (0.03, .45, .35), "amargo": (0.02, .35, .45), "sabor": (0.30, .70, .18),
    "aroma": (0.06, .70, .15), "textura": (0.10, .60, .25), "frescura": (0.06, .60, .25),
    "temperatura": (0.0, .50, .35), "precio": (0.12, .45, .40), "porción": (0.06, .45, .40),
    "empaque": (0.06, .50, .30), "saludable": (0.05, .70, .15), "ingredientes": (0.06, .60, .20),
}
ATTR_LIST = list(ATTRIBUTES)
PROFILE = {  # product-specific mention rates (or (rate, pos, neg)) overriding the defaults above
    CHICHA: {"dulce": .25, "ácido": .05, "frescura": .08, "temperatura": .06, "ingredientes": .08},
    GASEOSA: {"dulce": .25, "ácido": .03, "temperatura": .06, "saludable": .03},
    CAFE: {"amargo": .16, "aroma": .20, "ácido": .06, "temperatura": .05, "dulce": .02},
    HELADO: {"dulce": .20, "textura": .18, "temperatura": .12},
    YOGUR: {"dulce": .12, "ácido": .08, "saludable": (.30, .85, .05), "textura": .12},
    GALLETAS: {"textura": .16, "saludable": .10, "dulce": .10},
    CHOCOLATE: {"dulce": .18, "amargo": .12, "aroma": .10},
    CHIFLES: {"salado": .20, "textura": .18, "picante": .12, "dulce": .01},
    CAMOTE: {"salado": .10, "dulce": .10, "picante": .12, "textura": .14},
    SALSA: {"picante": .16, "ácido": .05, "salado": .08, "dulce": .01, "textura": .08},
}
# Planted shifts: `rate` is the per-comment rate of (attribute, polarity) from `after[0]` on in the cell,
# or reached linearly over the `ramp` months. Regions None = all. The README table compares the
# `before` and `after` windows.
SHIFTS = [
    {"key": "S1", "title": "dulce negativo (muy dulce/empalagoso) en bebidas, Lima y Arequipa",
     "attribute": "dulce", "polarity": "negative", "products": [CHICHA, GASEOSA],
     "regions": ["Lima", "Arequipa"], "before": ("2024-01", "2024-06"), "after": ("2024-07", "2025-12"),
     "rate": 0.19, "ramp": None},
    {"key": "S2", "title": "picante positivo en el sur (salsa de ají y snacks), Arequipa y Cusco",
     "attribute": "picante", "polarity": "positive", "products": [SALSA, CHIFLES, CAMOTE],
     "regions": list(SOUTH), "before": ("2024-01", "2025-02"), "after": ("2025-03", "2025-12"),
     "rate": 0.30, "ramp": None},
    {"key": "S3", "title": "empaque negativo en galletas de kiwicha, todas las regiones",
     "attribute": "empaque", "polarity": "negative", "products": [GALLETAS],
     "regions": None, "before": ("2024-01", "2025-09"), "after": ("2025-10", "2025-12"),
     "rate": 0.22, "ramp": None},
    {"key": "S4", "title": "saludable positivo en yogur se apaga durante 2025 (declive)",
     "attribute": "saludable", "polarity": "positive", "products": [YOGUR],
     "regions": None, "before": ("2024-01", "2024-12"), "after": ("2025-07", "2025-12"),
     "rate": 0.06, "ramp": ("2025-01", "2025-12")},
]

# ---- phrase banks. One line: "<attribute>[@product kind] <polarity> <lang>: variant | variant ...";
# repeated keys add variants. {i} positive intensifier, {n} excess, {ing} the product's main ingredient.
# "@kind" lines hold texture/temperature words that only fit one kind of product (crunchy, creamy...).
BANK_TEXT = """
dulce positive es: el dulzor está en su punto | tiene el dulce justo, ni mucho ni poco
dulce positive es: está {i} rico de dulce | el nivel de azúcar está perfecto | dulcecito como me gusta
dulce positive es: no es empalagoso, bien balanceado
dulce positive en: the sweetness is just right | {i} nice level of sweetness
dulce positive en: not too sweet, perfect balance
dulce negative es: está {n} dulce | es muy empalagoso | le sobra azúcar | deberían ponerle menos azúcar
dulce negative es: es puro azúcar | te empalaga al toque | demasiado dulce para mi gusto
dulce negative es: está empalagoso, deberían bajarle el azúcar
dulce negative en: {n} sweet | {n} sugary | they should use less sugar | cloyingly sweet
dulce neutral es: el dulce es normal | de dulce está regular | dulzor normal, como cualquier otro
dulce neutral en: sweetness is average | normal sweetness
salado positive es: tiene la sal justa | saladito en su punto | el punto de sal está perfecto
salado positive en: perfectly salted | the salt level is spot on
salado negative es: está {n} salado | le echaron sal con cuchara | se pasaron de sal
salado negative es: le falta sal, está desabrido
salado negative en: {n} salty | way too much salt | needs more salt
salado neutral es: de sal está normal | la sal está ahí nomás
salado neutral en: saltiness is ok
picante positive es: pica rico | tiene un picantito bravazo | el ají pica en su punto
picante positive es: me encanta que pique {i} fuerte | el picante está buenazo
picante positive es: el toque de ají está chévere | pica como debe ser, con su buen ají
picante positive en: nice spicy kick | the ají heat is {i} good | love how spicy it is
picante negative es: pica demasiado | está {n} picante, no se aguanta | me quemó la boca
picante negative es: no pica nada, le falta ají
picante negative en: too spicy for me | it burned my mouth | not spicy at all
picante neutral es: pica normal | el picante es suave
picante neutral en: mild heat | medium spicy
ácido positive es: tiene una acidez rica | el toque ácido le queda bien | ese puntito ácido está chévere
ácido positive en: pleasant tang | nice acidity
ácido negative es: está {n} ácido | sabe agrio | demasiado ácido, como pasado
ácido negative en: too sour | {n} acidic
ácido neutral es: es un poco ácido | la acidez es normal
ácido neutral en: slightly tangy
amargo positive es: el amargor está rico, intenso | amarguito como me gusta | ese toque amargo está chévere
amargo positive en: nice bitter notes | love the bitterness
amargo negative es: está {n} amargo | deja un amargo feo en la boca | sabe amargo, como quemado
amargo negative en: too bitter | leaves a bitter aftertaste
amargo neutral es: es un poco amargo | amargor normal
amargo neutral en: a bit bitter
sabor positive es: el sabor está bravazo | está buenazo | riquísimo | sabe {i} rico | tiene un sabor chévere
sabor positive es: sabe a casero | el sabor es espectacular | sabe igualito al que hacía mi abuela
sabor positive es: qué rico sabor
sabor positive en: tastes amazing | the flavor is {i} good | delicious | tastes homemade
sabor negative es: no tiene sabor a nada | sabe raro | sabe artificial | sabe a químico
sabor negative es: el sabor deja mucho que desear | el sabor es {n} feo
sabor negative en: tastes weird | bland, no flavor | tastes artificial
sabor neutral es: el sabor es normal | sabe como cualquier otro | de sabor está regular
sabor neutral en: the taste is ok | flavor is average
aroma positive es: huele riquísimo | tiene un aroma {i} rico | el olor es buenazo
aroma positive es: apenas lo abres sale un aroma bravazo
aroma positive en: smells amazing | lovely aroma
aroma negative es: huele raro | el olor es feo | no tiene aroma | tiene olor a guardado
aroma negative en: smells off | no aroma at all
aroma neutral es: el aroma es suave | huele normal
aroma neutral en: the smell is mild
textura positive es: la textura está perfecta | la consistencia es buenaza | tiene una textura {i} agradable
textura positive en: great texture | the texture is {i} nice
textura negative es: la textura es rara | la consistencia no me gustó
textura negative en: weird texture
textura neutral es: la textura es normal | de consistencia está regular
textura neutral en: texture is ok
frescura positive es: se nota fresquito | bien fresco, recién hecho | llegó fresquito
frescura positive en: tasted fresh | {i} fresh
frescura negative es: no estaba fresco | sabía a pasado | estaba rancio | estaba por vencer
frescura negative en: tasted stale | not fresh at all
frescura neutral es: la fecha de vencimiento es normal | de frescura está bien nomás
frescura neutral en: freshness is ok
temperatura positive es: llegó a buena temperatura
temperatura positive en: arrived at the right temperature
temperatura negative es: no llegó a buena temperatura
temperatura negative en: wrong temperature on arrival
temperatura neutral es: la temperatura normal
temperatura neutral en: temperature was fine
precio positive es: está a buen precio | precio justo | bien barato para lo que es | vale cada sol
precio positive es: con la oferta salió baratito
precio positive en: good value for money | cheap and good
precio negative es: está {n} caro | subieron el precio | no vale lo que cuesta | carísimo para lo que trae
precio negative en: too expensive | overpriced
precio neutral es: el precio es normal | cuesta lo mismo que los demás
precio neutral en: price is average
porción positive es: la porción es generosa | viene bastante | rinde {i} bien | buen tamaño
porción positive en: generous portion | big size
porción negative es: trae muy poquito | la porción es mezquina | la bolsa viene media vacía, puro aire
porción negative es: cada vez traen menos
porción negative en: tiny portion | half the bag is air
porción neutral es: la cantidad es normal | tamaño estándar
porción neutral en: normal size
empaque positive es: el empaque es bonito | la presentación está chévere | el envase es práctico
empaque positive es: viene bien sellado
empaque positive en: nice packaging | well sealed
empaque negative es: el empaque se rompe | la bolsa llega abierta | el envase vino roto
empaque negative es: el empaque es {n} frágil | la bolsa llegó rota | no se puede volver a cerrar
empaque negative en: the bag arrived torn | the packaging broke | the package was open when it arrived
empaque neutral es: el empaque es normal | la presentación es simple
empaque neutral en: packaging is basic
saludable positive es: es saludable | me gusta que sea natural | ideal para los chicos, es sano
saludable positive es: se siente ligero | sano y nutritivo
saludable positive en: healthy option | feels light and healthy
saludable negative es: nada saludable | engorda un montón | nada sano
saludable negative en: not healthy at all
saludable neutral es: no sé qué tan sano sea | dicen que es saludable
saludable neutral en: not sure how healthy it is
ingredientes positive es: se nota que usan ingredientes de calidad | hecho con {ing} de verdad
ingredientes positive es: ingredientes naturales
ingredientes positive en: made with real {ing} | quality ingredients
ingredientes negative es: tiene saborizantes artificiales | no se siente el {ing} | lleva mucho colorante
ingredientes negative en: lots of artificial flavoring | you can't taste the {ing}
ingredientes neutral es: lleva {ing} y azúcar | los ingredientes son los de siempre
ingredientes neutral en: ingredients are standard
textura@crocante positive es: bien crocante | crujiente como debe ser
textura@crocante positive en: {i} crunchy
textura@crocante negative es: vino blandito, nada crocante | estaban aguadas
textura@crocante negative en: soggy, not crunchy
textura@cremoso positive es: {i} cremosito | suavecito
textura@cremoso positive en: {i} creamy
textura@cremoso negative es: está aguado | tiene grumos
textura@cremoso negative en: watery | lumpy
textura@fria negative es: está aguado | está {n} espeso
textura@fria negative en: watery
textura@salsa positive es: cremosita, se unta fácil
textura@salsa positive en: nice and creamy
textura@salsa negative es: está {n} aguada | se separa el aceite
textura@salsa negative en: too runny
temperatura@fria positive es: llegó heladito | bien frío como me gusta
temperatura@fria positive en: arrived ice cold
temperatura@fria negative es: llegó tibio | no estaba frío
temperatura@fria negative en: arrived warm
temperatura@cremoso positive es: llegó bien congelado | heladito, perfecto para el calor
temperatura@cremoso positive en: arrived frozen solid
temperatura@cremoso negative es: se derritió todo | llegó medio derretido
temperatura@cremoso negative en: it arrived melted
temperatura@caliente positive es: calientito, perfecto para el frío
temperatura@caliente positive en: great hot
temperatura@caliente negative es: se enfría {n} rápido
temperatura@caliente negative en: goes cold too fast
"""


def _parse_bank(text: str) -> dict[tuple[str, str, str], list[str]]:
    bank: dict[tuple[str, str, str], list[str]] = {}
    for line in text.strip().splitlines():
        key, _, phrases = line.partition(":")
        attr, pol, lang = key.split()
        bank.setdefault((attr, pol, lang), []).extend(p.strip() for p in phrases.split("|"))
    return bank


BANK = _parse_bank(BANK_TEXT)
INTENS = {("es", "i"): "muy|súper|bien|bastante|re", ("es", "n"): "muy|demasiado|súper|bien|exageradamente",
          ("en", "i"): "very|really|super|so", ("en", "n"): "way too|too|really|so"}
CONNECT = {("es", True): ", |, y |, además | y también ",
           ("es", False): " pero |, aunque |, eso sí, |; sin embargo, ",
           ("en", True): ", | and |, also ", ("en", False): " but |, although |; however, "}
OPENERS = {"es": "Compré {p} {c}.|Probé {p} el fin de semana.|Causa,|Hola,|Bueno,|"
                 "Primera vez que compro {p}.|Siempre compro {p}.|Mi familia compra {p} seguido.|"
                 "Sobre {p}:|Oe,|Les cuento:|"
                 "Lo compré {c} la semana pasada.|Mi opinión sobre {p}:",
           "en": "Bought {p} {c}.|Tried {p} last weekend.|First time buying {p}.|I always buy {p}.|Honestly,|"
                 "Ok so,|My review of {p}:"}
CONTEXT = {"es": "Lo compré para el lonche de los chicos.|Lo llevé a una reunión familiar.|Lo probé con mis "
                  "amigos del trabajo.|Lo compro cada quincena.|Me lo recomendó mi vecina.|Lo vi en TikTok.|"
                  "Lo compré por la promo.|Era para el cumpleaños de mi sobrino.|Lo tomamos en el almuerzo.|"
                  "Lo llevé de viaje.|Es la segunda vez que lo compro.|Mi esposo lo eligió.",
           "en": "Got it for a family party.|A friend recommended it.|Saw it on Instagram.|"
                 "Second time buying it.|Bought it for my kids."}
LEAD_IN = {"es": "la verdad, |sinceramente |para mí |uff, |a ver, ", "en": "honestly |to be fair, |well, "}
CHANNEL_WORDS = {"es": {"Bodega": "en la bodega", "Supermercado": "en el súper",
                        "E-commerce / redes sociales": "por internet"},
                 "en": {"Bodega": "at the corner store", "Supermercado": "at the supermarket",
                        "E-commerce / redes sociales": "online"}}
CLOSERS = {("es", 1): "Lo recomiendo.|¡Bravazo!|Volveré a comprar al toque.|Chévere, 10/10.|Sigan así.|"
                      "Mis hijos lo aman.|Ya es fijo en mi casa.|Recomendadísimo.|Gracias, caserito.|"
                      "Lo mejor del Perú.",
           ("es", -1): "No lo vuelvo a comprar.|Qué decepción.|Mejoren eso por favor.|Una pena.|"
                       "Ojalá lo corrijan.|Ya no lo compro.|Me regreso a mi marca de siempre.|Plata botada.",
           ("es", 0): "Normal nomás.|Ahí nomás.|Ni fu ni fa.|Cumple.|Regular.|No sé si lo vuelva a comprar.|"
                      "Habrá que probar otra vez.",
           ("en", 1): "Highly recommend!|Will buy again.|10/10.|Love it.",
           ("en", -1): "Won't buy again.|Disappointed.|Please fix this.",
           ("en", 0): "It's ok.|Meh.|Does the job."}
GENERIC = {  # clauses with no taste attribute; some only fit one channel
    ("es", 1, None): "me encantó|lo recomiendo al toque|chévere el producto|buenazo todo|mi familia feliz|"
                        "cumple con todo|de lo mejor que he probado",
    ("es", -1, None): "no me gustó para nada|una decepción|no lo recomiendo|pésimo producto|nunca más|"
                         "no vale la pena",
    ("es", 0, None): "normal|ahí nomás|ni fu ni fa|es lo que esperaba|ni bueno ni malo|"
                        "esperaba un poco más",
    ("es", 1, "E-commerce / redes sociales"): "llegó rápido|el delivery llegó al toque|"
                                              "me respondieron al toque por el inbox",
    ("es", -1, "E-commerce / redes sociales"): "el pedido demoró una semana|llegó tarde|"
                                               "nadie responde los mensajes",
    ("es", 1, "Bodega"): "el caserito siempre me da yapa|en la bodega de la esquina siempre hay",
    ("es", -1, "Bodega"): "en la bodega nunca hay stock|se agota rapidito en la bodega",
    ("es", 1, "Supermercado"): "siempre lo encuentro en el súper",
    ("es", -1, "Supermercado"): "en el súper nunca hay",
    ("en", 1, None): "loved it|great product|my family loves it",
    ("en", -1, None): "did not like it|very disappointing",
    ("en", 0, None): "it's fine|nothing special", ("en", 1, "E-commerce / redes sociales"): "fast delivery",
    ("en", -1, "E-commerce / redes sociales"): "delivery took a week",
}
EMOJI = {1: "😋|👍|🔥|❤️|👌", -1: "😡|🤢|👎|😒", 0: "🤷|😐"}
NAMES = ["juan", "maria", "rosa", "carlos", "lucia", "jorge", "ana", "luis", "carmen", "pedro", "milagros",
         "diego"]
SURNAMES = ["quispe", "flores", "huaman", "rojas", "mamani", "garcia", "torres", "chavez", "ramos", "vargas"]
DOMAINS = ["gmail.com", "hotmail.com", "outlook.com", "yahoo.es"]
PII_TEXT = {("es", "email"): " Cualquier cosa escríbanme a {v}.",
            ("es", "phone"): " Mi número es {v}, llámenme.",
            ("es", "dni"): " Mi DNI es {v}, para el sorteo.", ("en", "email"): " Contact me at {v}.",
            ("en", "phone"): " My number is {v}.", ("en", "dni"): " My DNI is {v}."}
POLARITY = {1: "positive", -1: "negative", 0: "neutral"}
ACCENTS = str.maketrans("áéíóú", "aeiou")


def _pick(rng, options: str | list[str]) -> str:
    parts = options.split("|") if isinstance(options, str) else options
    return parts[rng.integers(len(parts))]


def sample_rows(rng) -> pd.DataFrame:
    """Month, product, region, channel, age group and language of every comment (vectorised)."""
    counts = [round(BASE_PER_MONTH * SEASON[int(m[5:]) - 1]) for m in MONTHS]
    month = np.repeat(np.arange(len(MONTHS)), counts)
    n = len(month)
    regions, products = list(REGIONS), [p[0] for p in PRODUCTS]
    joint = np.outer(list(REGIONS.values()), [p[8] for p in PRODUCTS])
    for r in SOUTH:
        for prod, tilt in SOUTH_TILT.items():
            joint[regions.index(r), P[prod]] *= tilt
    cell = rng.choice(joint.size, size=n, p=(joint / joint.sum()).ravel())
    df = pd.DataFrame({"month": np.array(MONTHS)[month], "region": np.array(regions)[cell // len(products)],
                       "product": np.array(products)[cell % len(products)],
                       "channel": rng.choice(list(CHANNELS), size=n, p=list(CHANNELS.values())),
                       "segment": rng.choice(list(AGE_GROUPS), size=n, p=list(AGE_GROUPS.values())),
                       "lang": np.where(rng.random(n) < ENGLISH_SHARE, "en", "es")})
    dim = pd.PeriodIndex(df["month"], freq="M").days_in_month.to_numpy()
    day = (rng.random(n) * dim).astype(int) + 1
    df["date"] = pd.to_datetime(df["month"] + "-" + pd.Series(day).astype(str).str.zfill(2))
    return df.sort_values(["date", "region", "product"], kind="stable").reset_index(drop=True)


def attribute_rates(df: pd.DataFrame) -> np.ndarray:
    """Per comment x attribute x polarity (pos, neg, neu) probability, with the planted shifts applied."""
    base = np.zeros((len(PRODUCTS), len(ATTR_LIST), 3))
    for pi, row in enumerate(PRODUCTS):
        for ai, attr in enumerate(ATTR_LIST):
            rate, pos, neg = ATTRIBUTES[attr]
            over = PROFILE[row[0]].get(attr)
            if over is not None:
                rate, pos, neg = over if isinstance(over, tuple) else (over, pos, neg)
            base[pi, ai] = rate * np.array([pos, neg, 1 - pos - neg])
    rates = base[df["product"].map(P).to_numpy()]
    month_ix = df["month"].map({m: i for i, m in enumerate(MONTHS)}).to_numpy()
    for s in SHIFTS:
        cell = df["product"].isin(s["products"]) & (df["region"].isin(s["regions"]) if s["regions"] else True)
        start, end = (MONTHS.index(m) for m in (s["ramp"] or s["after"]))
        on = cell.to_numpy() & (month_ix >= start)
        ai, k = ATTR_LIST.index(s["attribute"]), ["positive", "negative", "neutral"].index(s["polarity"])
        frac = np.clip((month_ix[on] - start + 1) / (end - start + 1), 0, 1) if s["ramp"] else 1.0
        rates[on, ai, k] = rates[on, ai, k] + frac * (s["rate"] - rates[on, ai, k])
    return rates


def _fill(rng, template: str, lang: str, ing: str) -> str:
    out = template.replace("{ing}", ing)
    for slot in ("i", "n"):
        while "{" + slot + "}" in out:
            out = out.replace("{" + slot + "}", _pick(rng, INTENS[(lang, slot)]), 1)
    return out


def clause_text(rng, attr: str, pol: int, lang: str, product: tuple) -> str:
    name = POLARITY[pol]
    options = BANK[(attr, name, lang)]
    kind = BANK.get((f"{attr}@{product[3]}", name, lang))
    if kind:  # product-specific words are the likelier choice when they exist
        options = kind if rng.random() < 0.7 else options
    return _fill(rng, _pick(rng, options), lang, product[6] if lang == "es" else product[7])


def _typo(rng, text: str) -> str:
    words = text.split(" ")
    long_ix = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
    if not long_ix:
        return text
    i = long_ix[rng.integers(len(long_ix))]
    w, j = words[i], int(rng.integers(1, len(words[i]) - 2))
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:] if rng.random() < 0.6 else w[:j] + w[j + 1:]
    return " ".join(words)


def _pii(rng, kind: str) -> str:
    if kind == "email":
        return f"{_pick(rng, '|'.join(NAMES))}.{_pick(rng, '|'.join(SURNAMES))}{rng.integers(10, 99)}@" \
               f"{_pick(rng, '|'.join(DOMAINS))}"
    if kind == "phone":
        d = "9" + "".join(str(x) for x in rng.integers(0, 10, 8))
        return [f"{d[:3]} {d[3:6]} {d[6:]}", d, f"+51 {d[:3]} {d[3:6]} {d[6:]}"][rng.integers(3)]
    return str(rng.integers(10_000_000, 79_999_999))


def compose(rng, row, mentions: list[tuple[str, int]]) -> tuple[str, list[str], int, int, str]:
    """One comment from its tagged clauses: opener, clauses with connectors, closer, noise."""
    lang, product = row.lang, PRODUCTS[P[row.product]]
    clauses = [clause_text(rng, a, p, lang, product) for a, p in mentions]
    score = sum(p for _, p in mentions)
    parts = [(c, p) for c, (_, p) in zip(clauses, mentions)]
    if not mentions or rng.random() < 0.25:   # a remark on the product or the shop, no taste attribute
        agree = score and rng.random() < 0.85          # a remark usually agrees with the taste clauses
        gpol = int(np.sign(score)) if agree else int(rng.choice([1, -1, 0], p=[.62, .22, .16]))
        keys = [k for k in ((lang, gpol, row.channel), (lang, gpol, None)) if k in GENERIC]
        key = keys[0] if len(keys) == 2 and rng.random() < 0.5 else keys[-1]
        parts.insert(int(rng.integers(len(parts) + 1)), (_pick(rng, GENERIC[key]), gpol))
        score += gpol
    body = (_pick(rng, LEAD_IN[lang]) if rng.random() < 0.15 else "") + parts[0][0]
    for (_, prev), (text, pol) in itertools.pairwise(parts):
        body += _pick(rng, CONNECT[(lang, prev * pol >= 0)]) + text
    overall = int(np.sign(score))
    pieces = []
    if rng.random() < 0.65:
        ch = CHANNEL_WORDS[lang][row.channel]
        pieces.append(_pick(rng, OPENERS[lang]).format(p=product[4] if lang == "es" else product[5], c=ch))
    context = [_pick(rng, CONTEXT[lang])] if rng.random() < 0.3 else []
    for piece in context + [body + ("!" if rng.random() < 0.15 else ".")]:
        open_end = bool(pieces) and pieces[-1].endswith((",", ":"))   # "Causa, el sabor..." stays lower
        pieces.append(piece[0].lower() + piece[1:] if open_end else piece[0].upper() + piece[1:])
    if rng.random() < 0.6:
        pieces.append(_pick(rng, CLOSERS[(lang, overall)]))
    text = " ".join(pieces)
    if lang == "es" and rng.random() < 0.12:
        text = text.translate(ACCENTS)        # many people type without tildes
    if rng.random() < 0.06:
        text = _typo(rng, text)
    if rng.random() < 0.15:
        text = text.lower()
    if rng.random() < 0.08:
        text += " " + _pick(rng, EMOJI[overall])
    pii = ""
    if rng.random() < PII_SHARE:
        pii = ["email", "phone", "dni"][rng.integers(3)]
        text += PII_TEXT[(lang, pii)].format(v=_pii(rng, pii))
    return text, clauses, score, sum(p < 0 for _, p in parts), pii


def make_feedback(rng) -> tuple[pd.DataFrame, pd.DataFrame]:
    df = sample_rows(rng)
    rates = attribute_rates(df)
    cum = rates.cumsum(axis=2)
    hit = (rng.random(rates.shape[:2])[:, :, None] >= cum).sum(axis=2)  # 0 pos, 1 neg, 2 neu, 3 none
    order = rng.random(rates.shape[:2]).argsort(axis=1)  # clause order within a comment
    sign = np.array([1, -1, 0, 9])
    texts, truth, scores, negs = [], [], [], []
    for i, row in enumerate(df.itertuples(index=False)):
        mentions = [(ATTR_LIST[a], int(sign[hit[i, a]])) for a in order[i] if hit[i, a] < 3]
        text, clauses, score, neg, pii = compose(rng, row, mentions)
        texts.append(text)
        scores.append(score)
        negs.append(neg)
        fid = f"ENC-{i + 1:05d}"
        rows = [(fid, a, POLARITY[p], c) for (a, p), c in zip(mentions, clauses)] or [(fid, "", "", "")]
        truth += [r + (row.lang, POLARITY[int(np.sign(score))], pii) for r in rows]
    # Stars follow the net sentiment, and any complaint costs extra (negativity bias of real raters).
    score = np.clip(np.array(scores), -2, 2) - 0.5 * np.array(negs)
    stars = np.clip(np.rint(3.45 + 1.1 * score + rng.normal(0, 0.7, len(df))), 1, 5).astype(int)
    stars = pd.array(stars, dtype="Int64")
    stars[rng.random(len(df)) < 0.01] = pd.NA  # a few respondents skip the rating
    meta = {p[0]: p for p in PRODUCTS}
    fb = pd.DataFrame({
        "ID Encuesta": [f"ENC-{i + 1:05d}" for i in range(len(df))],
        "Fecha de respuesta": df["date"].dt.strftime("%d/%m/%Y"),
        "Producto": df["product"], "Marca": df["product"].map(lambda p: meta[p][1]),
        "Categoría": df["product"].map(lambda p: meta[p][2]), "Región": df["region"],
        "Canal de compra": df["channel"], "Grupo de edad": df["segment"],
        "Comentario del cliente": texts, "Calificación (1-5)": stars})
    # Two respondents can type the same short comment on the same day; Sabor's loader would then skip the
    # second as a duplicate (same text + date + product). Sign such repeats off so every row loads.
    for k in range(1, 10):
        dup = fb.duplicated(["Comentario del cliente", "Fecha de respuesta", "Producto"])
        if not dup.any():
            break
        sign = np.where(df.loc[dup, "lang"] == "en", " Cheers" + "!" * k, " Saludos" + "!" * k)
        fb.loc[dup, "Comentario del cliente"] = fb.loc[dup, "Comentario del cliente"] + sign
    tr = pd.DataFrame(truth, columns=["ID Encuesta", "attribute", "polarity", "clause", "lang",
                                      "overall_sentiment", "pii"])
    return fb, tr


def make_market(rng) -> pd.DataFrame:
    """Monthly sales index, search interest and price per product x region, agreeing with SHIFTS."""
    grid = pd.MultiIndex.from_product([MONTHS, [p[0] for p in PRODUCTS], list(REGIONS)],
                                      names=["Mes", "Producto", "Región"]).to_frame(index=False)
    t = grid["Mes"].map({m: i for i, m in enumerate(MONTHS)}).to_numpy()
    cal = grid["Mes"].str[5:].astype(int).to_numpy()
    prod, reg = grid["Producto"].to_numpy(), grid["Región"]
    season = np.ones(len(grid))
    season[(prod == HELADO) & np.isin(cal, [1, 2, 3])] = 1.20      # summer
    season[(prod == CHOCOLATE) & (cal == 12)] = 1.25                # Christmas hot chocolate
    season[(prod == CAFE) & np.isin(cal, [6, 7, 8])] = 1.10         # winter
    sales = 100 * season * (1 + 0.003 * t)
    search = grid["Producto"].map({p[0]: 25 + 3 * i for i, p in enumerate(PRODUCTS)}).to_numpy()
    search = search * (0.9 + 0.1 * season)
    south = reg.isin(SOUTH).to_numpy()
    ix = {m: i for i, m in enumerate(MONTHS)}
    # Ají in the south: searches lead (from 2025-02), sales follow (from 2025-03), comments from 2025-03.
    for p, s_up, v_up in ((SALSA, 35, 0.25), (CHIFLES, 12, 0.12), (CAMOTE, 12, 0.12)):
        m = south & (prod == p)
        search[m] += np.where(t[m] >= ix["2025-03"], s_up, np.where(t[m] == ix["2025-02"], s_up / 2, 0))
        sales[m] *= np.where(t[m] >= ix["2025-03"], 1 + v_up, 1)
    # Sweetness complaints from 2024-07: chicha sales in Lima/Arequipa soften to -15% by 2025-01
    # (gaseosa -6%).
    for p, drop in ((CHICHA, 0.15), (GASEOSA, 0.06)):
        m = reg.isin(["Lima", "Arequipa"]).to_numpy() & (prod == p)
        sales[m] *= 1 - drop * np.clip((t[m] - ix["2024-07"]) / 6, 0, 1)
    m = prod == GALLETAS  # broken bags from 2025-10: kiwicha sales dip in 2025-11..12
    sales[m] *= np.select([t[m] == ix["2025-11"], t[m] == ix["2025-12"]], [0.88, 0.82], 1.0)
    sales *= np.exp(rng.normal(0, 0.03, len(grid)))
    search = np.clip(np.rint(search + rng.normal(0, 3, len(grid))), 0, 100).astype(int)
    price = (grid["Producto"].map({p[0]: p[9] for p in PRODUCTS}) * reg.map(REGION_PRICE)).to_numpy()
    price = price * (1 + 0.002 * t) * (1 + rng.normal(0, 0.01, len(grid)))
    grid["Índice de ventas"] = np.round(sales, 1)
    grid["Interés de búsqueda"] = search
    grid["Precio promedio (S/)"] = np.round(price, 2)
    return grid


# ---- measured facts for the README (the test recomputes these from the CSVs) ----
def _window(month: pd.Series, w: tuple[str, str]) -> pd.Series:
    return (month >= w[0]) & (month <= w[1])


def shift_table(fb: pd.DataFrame, truth: pd.DataFrame) -> str:
    month = pd.to_datetime(fb["Fecha de respuesta"], format="%d/%m/%Y").dt.strftime("%Y-%m")
    stars = pd.to_numeric(fb["Calificación (1-5)"], errors="coerce")
    lines = [("| shift | segmento | antes | n | con mención | % | estrellas "
              "| después | n | con mención | % | estrellas |"), "|" + "---|" * 12]
    for s in SHIFTS:
        ids = truth.loc[(truth["attribute"] == s["attribute"]) & (truth["polarity"] == s["polarity"]),
                        "ID Encuesta"]
        flag = fb["ID Encuesta"].isin(ids)
        in_prod = fb["Producto"].isin(s["products"])
        segs = [("todas las regiones", in_prod)] if not s["regions"] else \
            [(" + ".join(s["regions"]), in_prod & fb["Región"].isin(s["regions"]))] + \
            [(r, in_prod & (fb["Región"] == r)) for r in s["regions"]] + \
            [("control: otras regiones", in_prod & ~fb["Región"].isin(s["regions"]))]
        if not s["regions"]:
            segs.append(("control: otros productos", ~in_prod))
        for name, seg in segs:
            cells = [s["key"], name]
            for w in (s["before"], s["after"]):
                sel = seg & _window(month, w)
                cells += [f"{w[0]}..{w[1]}", str(int(sel.sum())), str(int((sel & flag).sum())),
                          f"{100 * (sel & flag).sum() / sel.sum():.1f}", f"{stars[sel].mean():.2f}"]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


MARKET_SIGNALS = [  # (label, products, regions, column, before window, after window)
    ("salsa de ají, sur", [SALSA], list(SOUTH), "Interés de búsqueda",
     ("2024-01", "2025-01"), ("2025-03", "2025-12")),
    ("salsa de ají, sur", [SALSA], list(SOUTH), "Índice de ventas",
     ("2024-01", "2025-01"), ("2025-03", "2025-12")),
    ("salsa de ají, resto", [SALSA], [r for r in REGIONS if r not in SOUTH], "Interés de búsqueda",
     ("2024-01", "2025-01"), ("2025-03", "2025-12")),
    ("chicha morada, Lima + Arequipa", [CHICHA], ["Lima", "Arequipa"], "Índice de ventas",
     ("2024-01", "2024-06"), ("2025-01", "2025-12")),
    ("galletas de kiwicha, todas", [GALLETAS], list(REGIONS), "Índice de ventas",
     ("2025-01", "2025-10"), ("2025-11", "2025-12")),
]


def market_table(market: pd.DataFrame) -> str:
    lines = ["| señal | columna | antes | media | después | media | cambio % |", "|" + "---|" * 7]
    for label, prods, regs, col, b, a in MARKET_SIGNALS:
        seg = market["Producto"].isin(prods) & market["Región"].isin(regs)
        mb, ma = (market.loc[seg & _window(market["Mes"], w), col].mean() for w in (b, a))
        lines.append(f"| {label} | {col} | {b[0]}..{b[1]} | {mb:.1f} | {a[0]}..{a[1]} | {ma:.1f} | "
                     f"{100 * (ma / mb - 1):+.1f} |")
    return "\n".join(lines)


def summary(fb: pd.DataFrame, truth: pd.DataFrame, market: pd.DataFrame) -> str:
    per = truth.drop_duplicates("ID Encuesta").set_index("ID Encuesta").reindex(fb["ID Encuesta"])
    month = pd.to_datetime(fb["Fecha de respuesta"], format="%d/%m/%Y").dt.strftime("%Y-%m")
    stars = pd.to_numeric(fb["Calificación (1-5)"], errors="coerce").to_numpy()
    by_sent = pd.Series(stars).groupby(per["overall_sentiment"].to_numpy()).mean()
    no_taste = (truth["attribute"] == "").groupby(truth["ID Encuesta"]).all().sum()
    pii = per["pii"].value_counts()
    cells = []
    for s in SHIFTS:
        seg = fb["Producto"].isin(s["products"]) & (fb["Región"].isin(s["regions"]) if s["regions"] else True)
        cells.append(f"{s['key']} {month[seg].value_counts().min()}")
    return "\n".join([
        (f"- comentarios: {len(fb)}; meses: {month.nunique()}; productos: {fb['Producto'].nunique()}; "
        f"regiones: {fb['Región'].nunique()}; canales: {fb['Canal de compra'].nunique()}"),
        (f"- cláusulas de sabor en la verdad: {int((truth['attribute'] != '').sum())}; comentarios sin "
        f"atributo de sabor: {int(no_taste)} ({100 * no_taste / len(fb):.1f} %)"),
        f"- español: {100 * (per['lang'] == 'es').mean():.1f} %; textos distintos: "
        f"{100 * fb['Comentario del cliente'].nunique() / len(fb):.1f} %; con PII: "
        + ", ".join(f"{k} {pii.get(k, 0)}" for k in ("email", "phone", "dni")),
        "- estrellas medias por sentimiento global: "
        + ", ".join(f"{k} {by_sent[k]:.2f}" for k in ("negative", "neutral", "positive")),
        "- mínimo de comentarios por mes en cada segmento plantado: " + ", ".join(cells),
        (f"- filas de mercado: {len(market)} ({market['Producto'].nunique()} productos × "
        f"{market['Región'].nunique()} regiones × {market['Mes'].nunique()} meses)")])


def stats_block(fb: pd.DataFrame, truth: pd.DataFrame, market: pd.DataFrame) -> str:
    return summary(fb, truth, market) + "\n\n" + shift_table(fb, truth) + "\n\n" + market_table(market)


def read_outputs(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    kw = {"dtype": str, "keep_default_na": False, "encoding": "utf-8"}
    return (pd.read_csv(folder / FEEDBACK_FILE, **kw), pd.read_csv(folder / TRUTH_FILE, **kw),
            pd.read_csv(folder / MARKET_FILE, encoding="utf-8"))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent, help="output folder")
    ap.add_argument("--update-readme", action="store_true", help="paste the measured tables into README.md")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(SEED)
    fb, truth = make_feedback(rng)
    market = make_market(rng)
    args.out.mkdir(parents=True, exist_ok=True)
    for df, name in ((fb, FEEDBACK_FILE), (truth, TRUTH_FILE), (market, MARKET_FILE)):
        df.to_csv(args.out / name, index=False, encoding="utf-8", lineterminator="\n")
    block = stats_block(*read_outputs(args.out))
    print(f"{len(fb)} comentarios, {int((truth['attribute'] != '').sum())} cláusulas, {len(market)} filas de "
          f"mercado -> {args.out}\n\n{block}")
    if args.update_readme:
        readme = Path(__file__).resolve().parent / "README.md"
        text = readme.read_text(encoding="utf-8")
        new = re.sub(r"(<!-- stats:start -->\n).*?(<!-- stats:end -->)", lambda m: m[1] + block + "\n" + m[2],
                     text, flags=re.DOTALL)
        readme.write_text(new, encoding="utf-8")


if __name__ == "__main__":
    main()
