"""The review of held records: reviewers release records from quarantine to curated, or keep them.

- :mod:`~conflict_ingest.review.items`: held records as review items, the options and body a reviewer
  sees, and what an answer means (pure);
- :mod:`~conflict_ingest.review.decisions`: decisions as data under the bucket
  (``reviews/strike_counts/dt=DAY/decisions.json``, committed with conditional writes), and how they
  mark records (``released_by_reviewer``, ``reviewed_by``, ``review_comment``);
- :mod:`~conflict_ingest.review.stage`: the nightly DAG's steps (plan the review, apply the answer,
  the status the gate reads).

No Airflow here: the DAG's human-in-the-loop task asks, these functions decide and store.
"""

from __future__ import annotations
