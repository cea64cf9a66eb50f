"""OpenAI-compatible chat client: OpenAI itself or a local vLLM / Ollama / llama.cpp server.

Configuration comes from the environment: OPENAI_API_KEY (required to enable the LLM; local servers that
need no key accept any placeholder), OPENAI_BASE_URL (optional), SABOR_LLM_MODEL (default a small current
GPT model), SABOR_LLM_TIMEOUT (seconds). Transient failures (timeouts, connection errors, 429, 5xx) are
retried twice with exponential backoff; each attempt's latency, tokens and errors go to the metrics.
The key is never logged, shown or put into an error message: errors carry only a reason code and a
sanitised text.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import openai

from analysis.ops import metrics

DEFAULT_MODEL = "gpt-4.1-mini"
DEFAULT_TIMEOUT_S = 30.0
TRANSIENT = (openai.APITimeoutError, openai.APIConnectionError, openai.RateLimitError,
             openai.InternalServerError)


@dataclass(frozen=True)
class LLMConfig:
    api_key: str = field(repr=False)
    base_url: str | None = None
    model: str = DEFAULT_MODEL
    timeout_s: float = DEFAULT_TIMEOUT_S
    retries: int = 2
    backoff_s: float = 0.5

    @classmethod
    def from_env(cls) -> LLMConfig | None:
        """None when no key is configured: callers then use the built-in answerer."""
        key = os.environ.get("OPENAI_API_KEY", "").strip()
        if not key:
            return None
        return cls(api_key=key, base_url=os.environ.get("OPENAI_BASE_URL") or None,
                   model=os.environ.get("SABOR_LLM_MODEL") or DEFAULT_MODEL,
                   timeout_s=float(os.environ.get("SABOR_LLM_TIMEOUT") or DEFAULT_TIMEOUT_S))


class LLMError(Exception):
    """A failed LLM call. `reason` is a metrics label: timeout, connection, rate_limit, server_error,
    auth, bad_request, malformed."""

    def __init__(self, reason: str, message: str):
        self.reason = reason
        super().__init__(message)


@dataclass
class LLMReply:
    text: str
    prompt_tokens: int
    completion_tokens: int
    seconds: float
    model: str


class LLMClient:
    def __init__(self, config: LLMConfig):
        self.config = config
        # Retries are ours (not the SDK's) so that every attempt is timed and counted.
        self._client = openai.OpenAI(api_key=config.api_key, base_url=config.base_url,
                                     timeout=config.timeout_s, max_retries=0)

    def __repr__(self) -> str:
        return f"LLMClient(model={self.config.model!r}, base_url={self.config.base_url!r})"

    def _clean(self, text: str) -> str:
        key = self.config.api_key
        if key:
            text = text.replace(key, "***")
        return text[:300]

    def chat(self, messages: list[dict], temperature: float = 0.0, max_tokens: int = 600) -> LLMReply:
        last: LLMError | None = None
        for attempt in range(self.config.retries + 1):
            if attempt:
                time.sleep(self.config.backoff_s * 2 ** (attempt - 1))
            start = time.perf_counter()
            try:
                resp = self._client.chat.completions.create(
                    model=self.config.model, messages=messages, temperature=temperature,
                    max_tokens=max_tokens)
            except TRANSIENT as e:
                last = self._error(e, start)
                continue
            except openai.OpenAIError as e:
                raise self._error(e, start) from None
            except Exception as e:  # noqa: BLE001 -- a body that is not JSON / not a completion: never a traceback upstream
                raise self._error(e, start) from None
            seconds = time.perf_counter() - start
            try:
                text = resp.choices[0].message.content or ""
            except (AttributeError, IndexError, TypeError):
                metrics.LLM_REQUEST_SECONDS.labels(outcome="error").observe(seconds)
                metrics.LLM_ERRORS.labels(reason="malformed").inc()
                raise LLMError("malformed", "The LLM server sent a reply without a message.") from None
            metrics.LLM_REQUEST_SECONDS.labels(outcome="ok").observe(seconds)
            usage = getattr(resp, "usage", None)
            pt = int(getattr(usage, "prompt_tokens", 0) or 0)
            ct = int(getattr(usage, "completion_tokens", 0) or 0)
            metrics.LLM_TOKENS.labels(kind="prompt").inc(pt)
            metrics.LLM_TOKENS.labels(kind="completion").inc(ct)
            return LLMReply(text=text, prompt_tokens=pt, completion_tokens=ct, seconds=seconds,
                            model=getattr(resp, "model", None) or self.config.model)
        assert last is not None
        raise last

    def _error(self, e: Exception, start: float) -> LLMError:
        metrics.LLM_REQUEST_SECONDS.labels(outcome="error").observe(time.perf_counter() - start)
        if isinstance(e, openai.APITimeoutError):
            reason, msg = "timeout", f"The LLM server did not answer within {self.config.timeout_s:g} s."
        elif isinstance(e, openai.APIConnectionError):
            reason, msg = "connection", "Could not connect to the LLM server."
        elif isinstance(e, openai.RateLimitError):
            reason, msg = "rate_limit", "The LLM server is rate limiting requests (429)."
        elif isinstance(e, openai.InternalServerError):
            reason, msg = "server_error", f"The LLM server failed (HTTP {getattr(e, 'status_code', '5xx')})."
        elif isinstance(e, (openai.AuthenticationError, openai.PermissionDeniedError)):
            reason, msg = "auth", "The LLM server refused the API key (check OPENAI_API_KEY)."
        elif isinstance(e, openai.APIStatusError):
            reason, msg = "bad_request", f"The LLM server refused the request (HTTP {e.status_code})."
        elif isinstance(e, openai.APIResponseValidationError):
            reason, msg = "malformed", "The LLM server sent a malformed reply."
        else:
            reason, msg = "malformed", f"The LLM server sent a malformed reply ({type(e).__name__})."
        metrics.LLM_ERRORS.labels(reason=reason).inc()
        return LLMError(reason, self._clean(msg))


def client_from_env() -> LLMClient | None:
    cfg = LLMConfig.from_env()
    return LLMClient(cfg) if cfg else None
