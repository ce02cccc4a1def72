"""Drift and adherence: daily distributions, override rates, outcomes, shift alerts."""
