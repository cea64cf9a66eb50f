"""Readiness of the data: what has been analysed of what is loaded, in one small answer.

Every page that reads model results, `sabor health` and `GET /api/v1/readiness` ask this one function,
so a strategist never reads "no change" where the truth is "not analysed yet". Pure: the counts come
from the store in one query, the background job's state (analysis.ops.jobs) is passed in.

Stages, in order: comments loaded → scored by the model (sentiment, taste, foods) → topics (a current
BERTopic run covering every comment) → trends (computed on demand from the above: shifts of taste and
foods are final once scoring is complete and no job is still scoring; topic shifts once topics are).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

# Comments, those with a prediction (any model version: what the pages read, through active_predictions),
# whether a current topic run exists, and how many comments it covers.
_COUNTS_SQL = """
    SELECT (SELECT count(*) FROM feedback) AS comments,
           (SELECT count(*) FROM feedback f WHERE EXISTS (
                SELECT 1 FROM predictions p WHERE p.feedback_id = f.feedback_id)) AS scored,
           (SELECT count(*) FROM topic_runs WHERE is_current) AS topic_runs,
           (SELECT count(DISTINCT t.feedback_id) FROM feedback_topics t
                JOIN topic_runs r ON r.run_id = t.run_id AND r.is_current) AS topics_assigned"""


@dataclass(frozen=True)
class Readiness:
    comments: int = 0
    scored: int = 0
    topics_fitted: bool = False
    topics_assigned: int = 0
    job_status: str = "idle"        # idle | running | done | failed (analysis.ops.jobs.JobState.status)
    job_phase: str = ""             # sentiment | topics, while running
    job_done: int = 0
    job_total: int = 0
    seconds_left: float = 0.0
    job_error: str | None = None

    @property
    def pending(self) -> int:
        """Comments no model has scored yet."""
        return max(self.comments - self.scored, 0)

    @property
    def running(self) -> bool:
        return self.job_status == "running"

    @property
    def scored_ready(self) -> bool:
        return self.comments > 0 and self.pending == 0

    @property
    def topics_pending(self) -> int:
        return max(self.comments - self.topics_assigned, 0) if self.topics_fitted else self.comments

    @property
    def topics_ready(self) -> bool:
        return self.topics_fitted and self.topics_pending == 0 and not (self.running
                                                                        and self.job_phase == "topics")

    @property
    def trends_ready(self) -> bool:
        """Shifts in taste, foods and sentiment can be read as final: every comment is scored and no job is
        still scoring (a job in its topic phase no longer changes them; topic shifts wait for
        `topics_ready`)."""
        return self.scored_ready and not (self.running and self.job_phase != "topics")

    @property
    def fraction(self) -> float:
        """Share of the comments scored (0..1); 1.0 with no comments."""
        return self.scored / self.comments if self.comments else 1.0

    @property
    def state(self) -> str:
        """One word for the whole: empty, scoring, topics, pending (work left, no job running), failed,
        ready."""
        if not self.comments:
            return "empty"
        if self.running:
            return "topics" if self.job_phase == "topics" else "scoring"
        if self.job_status == "failed" and not self.scored_ready:
            return "failed"
        if not self.scored_ready:
            return "pending"
        return "ready"

    def to_dict(self) -> dict:
        d = asdict(self)
        d.update(state=self.state, pending=self.pending, fraction=round(self.fraction, 4),
                 scored_ready=self.scored_ready, topics_ready=self.topics_ready,
                 topics_pending=self.topics_pending, trends_ready=self.trends_ready,
                 seconds_left=round(self.seconds_left, 1))
        return d


def compute(store, job=None) -> Readiness:
    """The readiness of `store` given the background job (an analysis.ops.jobs.JobState; defaults to this
    process's job). One query, a few milliseconds: pages call it on every rerun."""
    if job is None:
        from analysis.ops import jobs

        job = jobs.state()
    row = store.cursor().execute(_COUNTS_SQL).fetchone()
    comments, scored, runs, assigned = (int(v or 0) for v in row)
    return Readiness(comments=comments, scored=scored, topics_fitted=runs > 0, topics_assigned=assigned,
                     job_status=job.status, job_phase=job.phase if job.running else "",
                     job_done=int(job.done), job_total=int(job.total),
                     seconds_left=float(job.seconds_left) if job.running else 0.0,
                     job_error=job.error)
