"""Food words of the built-in answerer: the lexicon's families by their Spanish and English names, the nouns
that name a food or a family in a question, and the written forms of the foods found in the data.

Entries ("chicha morada", "café") come from the data (`Facts.foods`); the forms a question may use for them
("cebiche", "coffee", "helados") come from the food lexicon (`models.mentions`), restricted to those entries.
Families are a closed list (`models.mentions.FAMILIES`), understood whether or not the data mentions them.
"""
from __future__ import annotations

from functools import lru_cache

from analysis.ask.vocabulary import ATTR_OF, GROUP_WORDS, PHRASE_ALIASES, all_words, norm

FOOD_KINDS = ("food", "food_family")   # mention kinds: an entry, a family (sql.MENTION_VIEWS)

# The 25 families, in English (sentences, and the names a question may use).
FAMILY_EN = {
    "mariscos y pescados": "seafood and fish", "aves": "poultry", "carnes": "meat", "huevos": "eggs",
    "lácteos": "dairy", "papas y tubérculos": "potatoes and tubers", "granos andinos": "Andean grains",
    "legumbres": "legumes", "arroces": "rice dishes", "pastas": "pasta", "panes y masas": "bread and dough",
    "sopas y caldos": "soups and broths", "verduras y ensaladas": "vegetables and salads", "frutas": "fruit",
    "frutos secos y semillas": "nuts and seeds", "cereales y harinas": "cereals and flours",
    "ají y picantes": "chili and spicy food", "salsas y condimentos": "sauces and condiments",
    "comida rápida": "fast food", "cocina japonesa y oriental": "Japanese and Asian food",
    "snacks": "snacks", "postres y dulces": "desserts and sweets", "bebidas frías": "cold drinks",
    "bebidas calientes": "hot drinks", "bebidas alcohólicas": "alcoholic drinks",
}

# What a question may call a family, besides its own name (normalised: lower case, no accents). A name that
# is also an entry ("mariscos", "postre", "carne") reads as the family, which holds that entry.
_FAMILY_NAMES = {
    "mariscos y pescados": "mariscos, marisco, pescados y mariscos, pescados, seafood, seafoods, fish and "
                           "seafood, seafood and fish, shellfish",
    "aves": "ave, pollo, pollos, poultry, chicken, chickens, aves de corral",
    "carnes": "carne, meat, meats, red meat, carnes rojas",
    "huevos": "huevo, eggs, egg",
    "lácteos": "lacteo, dairy, dairy products, productos lacteos, milk products",
    "papas y tubérculos": "tuberculos, tuberculo, papas, potatoes, tubers, potatoes and tubers, "
                          "root vegetables",
    "granos andinos": "grano andino, cereales andinos, andean grains, andean grain, andean cereals",
    "legumbres": "legumbre, menestras, legumes, pulses",
    "arroces": "platos de arroz, platos con arroz, rice dishes",
    "pastas": "pasta, fideos, pastas and noodles, noodles",
    "panes y masas": "panes, masas, breads, bread and dough, breads and pastries, baked goods",
    "sopas y caldos": "sopas, caldos, soups, soup, broths, soups and broths",
    "verduras y ensaladas": "verduras, verdura, ensaladas, vegetales, hortalizas, vegetables, veggies, "
                            "salads, vegetables and salads",
    "frutas": "fruta, fruit, fruits",
    "frutos secos y semillas": "frutos secos, semillas, nuts, seeds, nuts and seeds",
    "cereales y harinas": "cereales, harinas, cereals, flours, cereals and flours",
    "ají y picantes": "ajies, ajies y picantes, comida picante, comidas picantes, spicy food, spicy foods, "
                      "chili, chilli, chilis, chillies, chilies, chili peppers, hot peppers, hot sauces",
    "salsas y condimentos": "condimentos, condimento, aderezos, sauces and condiments, condiments, "
                            "seasonings",
    "comida rápida": "comidas rapidas, comida chatarra, fast food, junk food",
    "cocina japonesa y oriental": "comida japonesa, comida oriental, comida china, comida asiatica, "
                                  "japanese food, asian food, oriental food, chinese food",
    "snacks": "snack, piqueos, bocaditos",
    "postres y dulces": "postres, postre, dulces y postres, desserts, dessert, sweets, desserts and sweets",
    "bebidas frías": "bebida fria, bebidas heladas, refrescos, cold drinks, cold drink, cold beverages, "
                     "soft drinks",
    "bebidas calientes": "bebida caliente, hot drinks, hot drink, hot beverages",
    "bebidas alcohólicas": "bebida alcoholica, tragos, licores, alcohol, alcoholic drinks, alcoholic drink, "
                           "alcoholic beverages, drinks with alcohol",
}
DRINK_FAMILIES = ("bebidas frías", "bebidas calientes", "bebidas alcohólicas")
# Names of several families at once (OR).
_GROUPS_OF_FAMILIES = {"bebidas": DRINK_FAMILIES, "bebida": DRINK_FAMILIES, "drinks": DRINK_FAMILIES,
                       "drink": DRINK_FAMILIES, "beverages": DRINK_FAMILIES, "beverage": DRINK_FAMILIES}

# Nouns that name "a food" (a grouping by entry, or any food after "mencionan") and "a family".
FOOD_NOUNS = frozenset(w for w, g in GROUP_WORDS.items() if g == "food")
FAMILY_NOUNS = frozenset(w for w, g in GROUP_WORDS.items() if g == "food_family")
# Several-word names of the family grouping, read as one word (vocabulary.PHRASE_ALIASES style).
GROUP_PHRASES = [
    ("familias de alimentos", "familias"), ("familia de alimentos", "familia"),
    ("familias de comida", "familias"), ("familia de comida", "familia"),
    ("familias de alimento", "familias"), ("familia de alimento", "familia"),
    ("tipos de alimentos", "familias"), ("tipo de alimento", "familia"), ("tipos de comida", "familias"),
    ("tipo de comida", "familia"), ("grupos de alimentos", "familias"), ("grupo de alimentos", "familia"),
    ("categorias de alimentos", "familias"), ("categoria de alimentos", "familia"),
    ("food families", "families"), ("food family", "family"), ("food groups", "families"),
    ("food group", "family"), ("food types", "families"), ("food type", "family"),
    ("types of food", "families"), ("type of food", "family"), ("families of food", "families"),
    ("family of foods", "family"),
]

# Words that say "the text names it": a food right after one is the food, not a product of the same name.
MENTION_CUES = {"menciona", "mencionan", "mencionaron", "mencionado", "mencionada", "mencionados",
                "mencionadas", "mencion", "menciones", "mentions", "mention", "mentioned", "mentioning",
                "hablan", "habla", "hablaron", "talk", "talks", "talked", "talking", "nombran", "nombra",
                "refieren", "refiere"}


def family_en(family: str) -> str:
    return FAMILY_EN.get(family, family)


@lru_cache(maxsize=1)
def family_phrases() -> dict[tuple[str, ...], tuple[str, ...]]:
    """Normalised phrase -> the families it names (one, or the three drink families)."""
    out: dict[tuple[str, ...], tuple[str, ...]] = {}
    for fam, names in _FAMILY_NAMES.items():
        for name in [fam, FAMILY_EN[fam]] + [n.strip() for n in names.split(",")]:
            toks = tuple(norm(name).split())
            if len(toks) == 1 and toks[0] in ATTR_OF:
                continue   # "picantes", "dulces": the taste attribute
            out[toks] = (fam,)
    for w, fams in _GROUPS_OF_FAMILIES.items():
        out[(w,)] = fams
    return out


def _excluded_forms() -> frozenset[str]:
    """Single words never read as a food: taste-attribute words ("ají" is picante), the answerer's own words
    ("mayo" the month), and words of one or two letters ("té" vs "te")."""
    alias_words = {w for a, _ in PHRASE_ALIASES for w in a.split()}
    return frozenset((all_words() - alias_words) | set(ATTR_OF))


@lru_cache(maxsize=8)
def entry_phrases(foods: tuple[str, ...]) -> dict[tuple[str, ...], str]:
    """Normalised form -> entry, for the entries found in the data: each entry's name and its lexicon forms
    (variants, plurals, diminutives, English names). Forms of the same words as a family name read as the
    family (`family_phrases` is looked up first)."""
    if not foods:
        return {}
    from models.mentions import default_lexicon

    excluded = _excluded_forms()
    wanted = set(foods)
    out: dict[tuple[str, ...], str] = {}
    for form, (entry, _lang) in default_lexicon().forms.items():
        if entry in wanted:
            toks = tuple(norm(form).split())
            if toks and not (len(toks) == 1 and (toks[0] in excluded or len(toks[0]) <= 2)):
                out.setdefault(toks, entry)
    for entry in foods:
        toks = tuple(norm(entry).split())
        if toks and not (len(toks) == 1 and (toks[0] in excluded or len(toks[0]) <= 2)):
            out[toks] = entry
    return out


def food_words(foods: tuple[str, ...]) -> frozenset[str]:
    """The words a typo is corrected to: those of the family names and of the data's entries as named
    ("galleta" is not one, so it is still corrected to the product word "galletas"; the lexicon's other
    forms are recognised as written)."""
    words = {w for p in family_phrases() for w in p} | FOOD_NOUNS | FAMILY_NOUNS
    words |= {w for e in foods for w in norm(e).split() if len(w) >= 5 and not w.isdigit()}
    return frozenset(words)


def attribute_food(token: str, foods: tuple[str, ...]) -> str | None:
    """The data's food written as this taste-attribute word ("aji" -> "ají"), if any."""
    from models.mentions import default_lexicon

    if token not in ATTR_OF or not foods:
        return None
    hit = default_lexicon().forms.get(token)
    return hit[0] if hit and hit[0] in foods else None
