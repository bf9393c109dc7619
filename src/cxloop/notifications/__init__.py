"""notifications: staff-facing delivery of events to destinations (signed webhooks, Slack), through a message table
with per-message retries, per-destination health and pausing, and dead letters (docs/webhooks.md)."""
