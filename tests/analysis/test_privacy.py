"""PII redaction: what must disappear, and what must stay (dates, prices, counts)."""
from __future__ import annotations

import pandas as pd
import pytest

from analysis.privacy import contains_pii, luhn_ok, redact, redact_frame, redact_series


@pytest.mark.parametrize("text,secret,tag", [
    ("escríbeme a juan.perez@gmail.com por favor", "juan.perez@gmail.com", "[EMAIL]"),
    ("mail: Ana_Q+promo@correo.com.pe", "Ana_Q+promo@correo.com.pe", "[EMAIL]"),
    ("mi cel 987654321", "987654321", "[TELÉFONO]"),
    ("llámame al 987 654 321", "987 654 321", "[TELÉFONO]"),
    ("whatsapp 987-654-321 gracias", "987-654-321", "[TELÉFONO]"),
    ("call +51 987 654 321", "987 654 321", "[TELÉFONO]"),
    ("+51987654321", "987654321", "[TELÉFONO]"),
    ("(+51) 912-345-678", "912-345-678", "[TELÉFONO]"),
    ("mi DNI es 45678912.", "45678912", "[DNI]"),
    ("RUC 20512345678 de la bodega", "20512345678", "[RUC]"),
    ("RUC: 10456789012", "10456789012", "[RUC]"),
    ("pagué con 4111 1111 1111 1111 y nada", "4111 1111 1111 1111", "[TARJETA]"),
    ("tarjeta 5500-0000-0000-0004", "5500-0000-0000-0004", "[TARJETA]"),
    ("amex 378282246310005", "378282246310005", "[TARJETA]"),
])
def test_pii_is_replaced(text, secret, tag):
    out = redact(text)
    assert secret not in out
    assert tag in out
    assert contains_pii(text)


@pytest.mark.parametrize("text", [
    "lo compré el 2024-10-05 a S/ 12.50, y 100000 personas lo aman",
    "pedido 4111111111111112 (no es tarjeta: falla Luhn)",
    "500 ml por 3.50 soles, 70% cacao",
    "código 123456789012",  # 12 digits: not a card, RUC or DNI
    "el 05/10/2024 en Lima",
])
def test_ordinary_numbers_are_kept(text):
    assert redact(text) == text
    assert not contains_pii(text)


def test_luhn():
    assert luhn_ok("4111111111111111") and luhn_ok("378282246310005")
    assert not luhn_ok("4111111111111112") and not luhn_ok("1234")


def test_series_and_frame_agree_with_scalar():
    texts = ["a@b.pe y 987654321", "sin datos", None, "DNI 12345678"]
    s = redact_series(pd.Series(texts, dtype=object))
    assert s.tolist()[0] == redact(texts[0]) and s.tolist()[1] == "sin datos" and pd.isna(s.tolist()[2])
    df = redact_frame(pd.DataFrame({"text": texts, "rating": [1, 2, 3, 4]}))
    assert df["rating"].tolist() == [1, 2, 3, 4]
    assert "12345678" not in df["text"].iloc[3]


def test_demo_pii_rows_are_all_redacted():
    """Every demo comment that the generator marked as carrying PII loses it."""
    from tests.analysis.ask.ask_fixtures import truth_frames

    fb, truth = truth_frames()
    ids = set(truth.loc[truth["pii"] != "", "ID Encuesta"])
    texts = fb.loc[fb["ID Encuesta"].isin(ids), "Comentario del cliente"]
    assert len(texts) > 10
    assert all(contains_pii(t) for t in texts)
    red = redact_series(texts)
    assert not red.str.contains(r"@|\d{8}", regex=True).any()
