"""What the "Strike counts" view in the Airflow UI shows, read from the bucket as plain data.

No Airflow here: the plugin (``plugins/strike_counts``) builds the store from the ``aws_default``
connection, calls these functions and renders their results.

- :mod:`~conflict_ingest.ui.data`: the monthly totals (from the ``monthly_totals`` rollup, with
  filters), the last nights (each run's ``summary.json`` and ``alert.json``), the held records of a
  day (the quarantine partition) and a run's validation report.
- :mod:`~conflict_ingest.ui.reviews`: the reviews of a day's held records that wait for a person
  (from the review requests in the bucket) and the path of Airflow's form for each.
- :mod:`~conflict_ingest.ui.chart`: the bar chart's geometry (the template draws it as inline SVG).
"""

from __future__ import annotations

from conflict_ingest.ui.chart import BarChart, bar_chart, charts_by_metric
from conflict_ingest.ui.data import (
    HeldDay,
    Night,
    TotalsQuery,
    TotalsView,
    UiInputError,
    held_records,
    last_nights,
    monthly_totals,
    run_report,
)
from conflict_ingest.ui.reviews import OpenReview, open_reviews, review_form_path

__all__ = [
    "BarChart",
    "HeldDay",
    "Night",
    "OpenReview",
    "TotalsQuery",
    "TotalsView",
    "UiInputError",
    "bar_chart",
    "charts_by_metric",
    "held_records",
    "last_nights",
    "monthly_totals",
    "open_reviews",
    "review_form_path",
    "run_report",
]
