"""Stored recommendations, dispatcher decisions and call outcomes."""
