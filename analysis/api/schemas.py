"""Request and response schemas (marshmallow): what the OpenAPI description says and what requests are
validated against.

Responses are described here but not re-serialised: a view returns the analysis function's own JSON
(the same object the CLI prints), so a schema lists the fields a client can rely on and allows more
(`unknown = INCLUDE` → `additionalProperties: true`). Inputs refuse unknown fields.
"""
from __future__ import annotations

from apiflask import Schema, fields
from apiflask.validators import Length, OneOf, Range, Regexp
from marshmallow import INCLUDE

from analysis.access import ROLES
from analysis.store.access import NAME_RE

BY = ("attribute", "mention", "topic", "term", "product", "region")
PERIODS = ("month", "quarter")
REPORT_FORMATS = ("md", "html", "pdf")
MAX_PER_PAGE = 500


def _n(field_cls, **kw):
    """A nullable field."""
    return field_cls(allow_none=True, **kw)


class Open(Schema):
    """A response object: the listed fields, and possibly more."""
    class Meta:
        unknown = INCLUDE


# --- query strings ---------------------------------------------------------------------------------------

_Value = fields.String(validate=Length(1, 200))


class FilterQuery(Schema):
    """The dashboard sidebar's filters. Repeat a list parameter for several values
    (`?region=Lima&region=Cusco`)."""
    date_from = fields.Date(load_default=None, metadata={"description": "first day (YYYY-MM-DD)"})
    date_to = fields.Date(load_default=None, metadata={"description": "last day (YYYY-MM-DD)"})
    product = fields.List(_Value, load_default=list)
    region = fields.List(_Value, load_default=list)
    channel = fields.List(_Value, load_default=list)


class PageQuery(Schema):
    page = fields.Integer(load_default=1, validate=Range(1, 1_000_000))
    per_page = fields.Integer(load_default=50, validate=Range(1, MAX_PER_PAGE))


class FeedbackQuery(FilterQuery, PageQuery):
    pass


class MarketQuery(PageQuery):
    metric = fields.List(_Value, load_default=list)
    product = fields.List(_Value, load_default=list)
    category = fields.List(_Value, load_default=list)
    region = fields.List(_Value, load_default=list)
    date_from = fields.Date(load_default=None)
    date_to = fields.Date(load_default=None)


class TrendsQuery(FilterQuery):
    by = fields.String(load_default="attribute", validate=OneOf(BY))
    period = fields.String(load_default="month", validate=OneOf(PERIODS))


class LangQuery(FilterQuery):
    lang = fields.String(load_default=None, validate=OneOf(("es", "en")),
                         metadata={"description": "language of the texts (default: Accept-Language)"})


class ReportQuery(LangQuery):
    format = fields.String(load_default="md", validate=OneOf(REPORT_FORMATS))


class TokensQuery(Schema):
    include_revoked = fields.Boolean(load_default=False)


class AuditQuery(Schema):
    limit = fields.Integer(load_default=100, validate=Range(1, MAX_PER_PAGE))
    offset = fields.Integer(load_default=0, validate=Range(0, 10_000_000))
    action = fields.String(load_default=None, validate=Length(1, 100))


# --- request bodies --------------------------------------------------------------------------------------

class RowsIn(Schema):
    """Rows as JSON: each object is one row, keyed by the source's own headers (mapped like a file's)."""
    rows = fields.List(fields.Dict(), required=True, validate=Length(min=1),
                       metadata={"description": "one object per row, e.g. "
                                                "{\"comentario\": ..., \"fecha\": ...}"})
    map = fields.Dict(keys=fields.String(validate=Length(1, 50)),
                      values=fields.String(validate=Length(1, 200)),
                      load_default=None,
                      metadata={"description": "column → header, e.g. {\"text\": \"Comentario\"}"})
    file_name = fields.String(load_default=None, validate=Length(1, 120),
                              metadata={"description": "name recorded for this load (default api)"})


class FileIn(Schema):
    """A file as the dashboard accepts it: CSV, TSV, XLSX, JSON, JSONL or Parquet."""
    file = fields.File(required=True)
    map = fields.List(fields.String(validate=Length(3, 250)), load_default=list,
                      metadata={"description": "column=Header, repeatable (as `sabor ingest --map`)"})


class AskIn(Schema):
    question = fields.String(required=True, validate=Length(1, 500))


class TokenIn(Schema):
    name = fields.String(required=True, validate=Regexp(NAME_RE))
    role = fields.String(required=True, validate=OneOf(ROLES))


# --- responses -------------------------------------------------------------------------------------------

class LoadReportOut(Open):
    file_name = fields.String(required=True)
    kind = fields.String(required=True)
    upload_id = fields.String(required=True)
    sha256 = fields.String()
    size_bytes = fields.Integer()
    encoding = _n(fields.String)
    delimiter = _n(fields.String)
    mapping = fields.Dict()
    unmapped_columns = fields.List(fields.String())
    rows_read = fields.Integer(required=True)
    rows_loaded = fields.Integer(required=True)
    rows_rejected = fields.Integer(required=True)
    rejected_by_reason = fields.Dict(keys=fields.String(), values=fields.Integer())
    rows_duplicate = fields.Integer()
    duplicates_in_file = fields.Integer()
    duplicates_in_db = fields.Integer()
    date_min = _n(fields.String)
    date_max = _n(fields.String)
    rating_scale = _n(fields.String)
    warnings = fields.List(fields.String())
    seconds = fields.Float()


class CommentOut(Open):
    feedback_id = fields.String(required=True)
    source_id = _n(fields.String)
    date = _n(fields.String)
    text = fields.String(required=True)
    rating = _n(fields.Float)
    product = _n(fields.String)
    brand = _n(fields.String)
    category = _n(fields.String)
    region = _n(fields.String)
    channel = _n(fields.String)
    segment = _n(fields.String)
    lang = _n(fields.String)
    sentiment = _n(fields.String)
    sentiment_score = _n(fields.Float)
    stars_pred = _n(fields.Integer)
    attributes = _n(fields.String)
    negative_attributes = _n(fields.String)
    positive_attributes = _n(fields.String)
    foods = _n(fields.String)
    food_families = _n(fields.String)
    topic_id = _n(fields.Integer)
    topic_label = _n(fields.String)
    upload_id = _n(fields.String)


class PageOut(Open):
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)
    pages = fields.Integer(required=True)


class FeedbackPageOut(PageOut):
    items = fields.List(fields.Nested(CommentOut), required=True)


class MarketRowOut(Open):
    date = fields.String(required=True)
    product = _n(fields.String)
    category = _n(fields.String)
    region = _n(fields.String)
    metric = fields.String(required=True)
    value = _n(fields.Float)
    upload_id = _n(fields.String)


class MarketPageOut(PageOut):
    items = fields.List(fields.Nested(MarketRowOut), required=True)


class ShiftOut(Open):
    dimension = _n(fields.String)
    key = fields.Raw(required=True)
    polarity = _n(fields.String)
    metric = _n(fields.String)
    segment_type = _n(fields.String)
    segment = _n(fields.Raw)
    direction = _n(fields.String)
    start_month = _n(fields.String)
    rate_before = _n(fields.Float)
    rate_after = _n(fields.Float)
    effect = _n(fields.Float)
    p = _n(fields.Float)
    q = _n(fields.Float)
    n_before = _n(fields.Float)
    n_after = _n(fields.Float)
    significant = _n(fields.Boolean)


class TrendsDataOut(Open):
    first_date = _n(fields.String)
    last_date = _n(fields.String)
    complete_periods = fields.Integer()
    partial_period = _n(fields.String)


class TrendsOut(Open):
    """The same object as `sabor trends --format json`."""
    by = fields.String(required=True)
    period = fields.String(required=True)
    window_months = fields.Integer()
    baseline_months = fields.Integer()
    alpha = fields.Float()
    data = fields.Nested(TrendsDataOut)
    tested = fields.Dict(keys=fields.String(), values=fields.Integer())
    headlines = fields.List(fields.String())
    shifts = fields.List(fields.Nested(ShiftOut), required=True)
    recent = fields.List(fields.Nested(ShiftOut), required=True)


class TopicRunOut(Open):
    run_id = fields.String()
    created_at = fields.String()
    n_docs = fields.Integer()
    n_topics = fields.Integer()


class TopicOut(Open):
    id = fields.Integer(required=True)
    label = _n(fields.String)
    keywords = _n(fields.String)
    phrase = _n(fields.String)
    size = fields.Integer()
    share = fields.Float()
    representative = fields.List(fields.String())


class TopicsOut(Open):
    """The same object as `sabor topics --format json`; `run` is null before the first topic fit."""
    run = fields.Nested(TopicRunOut, allow_none=True, required=True)
    topics = fields.List(fields.Nested(TopicOut), required=True)


class RecommendationOut(Open):
    rank = _n(fields.Integer)
    kind = _n(fields.String)
    audience = _n(fields.String)
    priority = _n(fields.Float)
    confidence = _n(fields.String)
    title = _n(fields.String)
    text = _n(fields.String)
    headline = _n(fields.String)
    start_month = _n(fields.String)
    change_pp = _n(fields.Float)
    q = _n(fields.Float)
    verbatims = _n(fields.List, cls_or_instance=fields.String())
    market_text = _n(fields.String)
    link = _n(fields.String)


class SummaryOut(Open):
    text = fields.String(required=True)
    source = _n(fields.String)
    reason = _n(fields.String)


class InsightsOut(Open):
    """The same object as `sabor insights --format json`."""
    lang = fields.String(required=True)
    filters = fields.Dict()
    data = fields.Dict()
    summary = fields.Nested(SummaryOut, required=True)
    recommendations = fields.List(fields.Nested(RecommendationOut), required=True)
    findings = fields.List(fields.Dict(), required=True)


class AskOut(Open):
    """The same object as `sabor ask --format json`."""
    question = fields.String(required=True)
    sql = fields.String(required=True)
    columns = fields.List(fields.String(), required=True)
    rows = fields.List(fields.List(fields.Raw()), required=True)
    answer = fields.String(required=True)
    backend = fields.String(required=True)


class JobOut(Open):
    id = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "running, done, failed or idle"})
    phase = fields.String()
    done = fields.Integer()
    total = fields.Integer()
    rate = fields.Float()
    seconds_left = fields.Float()
    started = _n(fields.Float)
    finished = _n(fields.Float)
    error = _n(fields.String)
    result = fields.Dict()


class AnalyzeOut(Open):
    started = fields.Boolean(required=True, metadata={"description": "false: a job was already running"})
    job = fields.Nested(JobOut, required=True)


class HealthCheckOut(Open):
    ok = fields.Boolean(required=True)


class HealthOut(Open):
    status = fields.String(required=True, metadata={"description": "ok or unavailable"})
    ready = fields.Boolean(required=True)
    checks = fields.Dict(keys=fields.String(), values=fields.Nested(HealthCheckOut))
    version = fields.String()


class ReadinessOut(Open):
    state = fields.String(required=True, metadata={
        "description": "empty, scoring, topics, pending (work left, no job running), failed or ready"})
    comments = fields.Integer(required=True)
    scored = fields.Integer(required=True)
    pending = fields.Integer(required=True, metadata={"description": "comments no model has scored yet"})
    fraction = fields.Float(metadata={"description": "share of the comments scored (0..1)"})
    topics_fitted = fields.Boolean()
    topics_assigned = fields.Integer()
    topics_pending = fields.Integer()
    scored_ready = fields.Boolean()
    topics_ready = fields.Boolean()
    trends_ready = fields.Boolean()
    job_status = fields.String()
    job_phase = fields.String()
    job_done = fields.Integer()
    job_total = fields.Integer()
    seconds_left = fields.Float()
    job_error = _n(fields.String)


class UploadOut(Open):
    upload_id = fields.String(required=True)
    kind = fields.String(required=True)
    file_name = fields.String(required=True)
    rows_read = _n(fields.Integer)
    rows_loaded = _n(fields.Integer)
    rows_rejected = _n(fields.Integer)
    rows_duplicate = _n(fields.Integer)
    encoding = _n(fields.String)
    loaded_at = _n(fields.String)


class UploadsOut(Open):
    items = fields.List(fields.Nested(UploadOut), required=True)


class DeletedUploadOut(Open):
    upload_id = fields.String(required=True)
    kind = fields.String()
    file_name = fields.String()
    sha256 = fields.String()
    feedback_rows = fields.Integer()
    market_rows = fields.Integer()
    rejected_rows = fields.Integer()


class TokenOut(Open):
    name = fields.String(required=True)
    role = fields.String(required=True)
    created_at = _n(fields.String)
    revoked_at = _n(fields.String)


class TokensOut(Open):
    items = fields.List(fields.Nested(TokenOut), required=True)


class TokenCreatedOut(Open):
    """The token is shown this once; only its hash is kept."""
    name = fields.String(required=True)
    role = fields.String(required=True)
    token = fields.String(required=True)


class AuditEntryOut(Open):
    logged_at = fields.String(required=True)
    actor = fields.String(required=True)
    action = fields.String(required=True)
    detail = _n(fields.Raw)


class AuditOut(Open):
    items = fields.List(fields.Nested(AuditEntryOut), required=True)
    total = fields.Integer(required=True)
