"""The API's routes, one module per resource; each is a blueprint under /api/v1 and a thin call into the
same analysis functions the CLI and the pages use."""
from __future__ import annotations


def blueprints() -> list:
    from analysis.api.routes import admin, ask, feedback, health, insights, jobs, market, people

    return [health.bp, feedback.bp, market.bp, insights.bp, ask.bp, jobs.bp, admin.bp, people.bp]
