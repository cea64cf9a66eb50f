"""/api/v1/market: load market series and read them back."""
from __future__ import annotations

from apiflask import APIBlueprint

from analysis.api.auth import UPLOAD_ERRORS, json_ok, requires
from analysis.api.routes import uploads
from analysis.api.routes.common import json_response, page_of, store
from analysis.api.schemas import LoadReportOut, MarketPageOut, MarketQuery
from analysis.insight.market_align import market_rows

bp = APIBlueprint("market", __name__, url_prefix="/api/v1", tag="Market")


@bp.post("/market")
@requires(bp, "upload", ok=json_ok(LoadReportOut, "Load report (as `sabor ingest --market --format json`)"),
          status=201,
          errors=UPLOAD_ERRORS, body=True)
def upload_market():
    """Load market series

    Monthly rows of `date`, `product` or `category`, optional `region`, `metric` (ventas, búsquedas,
    precio...) and `value`, as a file (multipart, field `file`) or JSON rows. A month, product, region and
    metric already loaded is skipped as a duplicate."""
    return uploads.load("market")


@bp.get("/market")
@requires(bp, "read", ok=json_ok(MarketPageOut, "One page of market rows, oldest first"))
@bp.input(MarketQuery, location="query", arg_name="q")
def list_market(q):
    """List market series

    Loaded market rows, filtered by metric, product, category, region (each repeatable) and dates."""
    rows, total = market_rows(store(), q["metric"], q["product"], q["category"], q["region"], q["date_from"],
                              q["date_to"], q["per_page"], (q["page"] - 1) * q["per_page"])
    return json_response(page_of(rows, total, q["page"], q["per_page"]))
