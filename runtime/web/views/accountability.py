"""The centre's accountability pages (issue 15), gathered so the app adds one line."""

from __future__ import annotations

from runtime.web.views import (
    complaints,
    consultations,
    public,
    rating_device,
    ratings,
    scores,
    stats,
)

routes = [*stats.routes, *public.routes, *ratings.routes, *complaints.routes,
          *scores.routes, *consultations.routes, *rating_device.routes]
