"""Numbers per language and the texts drawn over Streamlit's own English ones."""
from __future__ import annotations

import re

from dashboard.common import fmt_date, fmt_num, fmt_pct, streamlit_texts_css


def test_numbers_follow_the_language():
    assert fmt_num(1234.5, 1, "es") == "1.234,5" and fmt_num(1234.5, 1, "en") == "1,234.5"
    assert fmt_num(13442, ui_lang="es") == "13.442" and fmt_num(13442, ui_lang="en") == "13,442"
    assert fmt_pct(0.2534, 0, "es") == "25 %" and fmt_pct(0.2534, 1, "en") == "25.3%"
    assert fmt_num(None, ui_lang="es") == "–" and fmt_pct(None, ui_lang="en") == "–"
    assert fmt_date("2025-12-31", "es") == "31/12/2025" and fmt_date("2025-12-31", "en") == "2025-12-31"


def test_uploader_texts_in_each_language():
    es, en = streamlit_texts_css("es"), streamlit_texts_css("en")
    assert '"Subir archivo"' in es and '"Límite 200 MB por archivo"' in es and '"Detener"' in es
    assert '"Upload a file"' in en and '"Limit 200 MB per file"' in en
    drawn = re.findall(r'content: "([^"]*)"', es)
    assert len(drawn) == 4 and not any(w in t for t in drawn for w in ("Upload", "file", "Drag", "Stop"))
