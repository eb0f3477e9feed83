"""Validating a run's records with Great Expectations, and the HTML report of the outcome."""
