"""Analysts' corrections of a recommendation's tags: the labels the next model learns from."""
