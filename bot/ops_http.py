"""The operator's HTTP routes every process serves: `/healthz`, `/readyz` and `/metrics`.

The webhook workers serve them beside the update route; the scheduler/sender worker serves them alone, so
a supervisor or Prometheus watches every process the same way. The database work behind readiness and the
backlog gauges is blocking and runs in a worker thread.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from bot.app import App
from bot.health import ReadinessProbe
from bot.metrics import CONTENT_TYPE, BacklogCollector, Metrics

__all__ = ["add_ops_routes", "app_metrics"]


def app_metrics(app: App, metrics: Metrics | None = None) -> Metrics:
    """`metrics` (or a fresh registry) made to report the database backlog of `app` too."""
    metrics = metrics or Metrics()
    metrics.watch_backlog(
        BacklogCollector(db=app.db, uow_factory=app.uow_factory, site=app.site, clock=app.clock)
    )
    return metrics


def add_ops_routes(web_app: web.Application, app: App, metrics: Metrics) -> None:
    """Add GET /healthz (the process answers), /readyz (database and schema), /metrics (Prometheus)."""
    probe = ReadinessProbe(app.db)

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(request: web.Request) -> web.Response:
        readiness = await asyncio.to_thread(probe.check)
        if readiness.ready:
            return web.json_response({"status": "ready"})
        return web.json_response({"status": "not ready", "reason": readiness.reason}, status=503)

    async def metrics_page(request: web.Request) -> web.Response:
        body = await asyncio.to_thread(metrics.render)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})

    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/readyz", readyz)
    web_app.router.add_get("/metrics", metrics_page)
