"""The dispatcher console: sign-in, live queue, accept or override, analytics (HTML at /console)."""
