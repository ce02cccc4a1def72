"""Triage of one call: classify the note, apply the policy, store, answer."""
