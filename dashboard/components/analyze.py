"""The "analyse pending comments" control, kept for the pages that import it: it is now the readiness
notice (dashboard/components/readiness.py), which shows the background job's progress, what the page
will show when done, and offers to start the job when comments wait for the model."""
from __future__ import annotations

from dashboard.components.readiness import notice


def analyze_button(key: str, page: str = "resumen") -> None:
    """Offer to classify comments that have no prediction yet; show the running job's progress."""
    notice(page, key)
