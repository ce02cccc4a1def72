"""Keep answering when the database is away: outage detection, a durable local journal,
its replay, deadlines and a cap on concurrent work. See docs/security.md."""
