"""Call triage decision support: tags dispatch notes and recommends a response."""

__version__ = "0.1.0"
