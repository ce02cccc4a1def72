"""CAD integration: NENA EIDO input, call versions, signed webhooks, agency code tables."""
