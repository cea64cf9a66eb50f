"""The taste taxonomy: the attributes a comment is read for, their English names, and the polarities."""
from __future__ import annotations

# Basic tastes first, then the rest of the product; a comment's attribute rows follow this order.
ATTRIBUTES = ("dulce", "salado", "picante", "ácido", "amargo", "sabor", "aroma", "textura", "frescura",
              "temperatura", "precio", "porción", "empaque", "saludable", "ingredientes")

ATTRIBUTE_EN = {"dulce": "sweetness", "salado": "saltiness", "picante": "spiciness", "ácido": "sourness",
                "amargo": "bitterness", "sabor": "flavour", "aroma": "aroma", "textura": "texture",
                "frescura": "freshness", "temperatura": "temperature", "precio": "price",
                "porción": "portion size", "empaque": "packaging", "saludable": "healthiness",
                "ingredientes": "ingredients"}

POLARITIES = ("negative", "neutral", "positive")
