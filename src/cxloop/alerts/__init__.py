"""Alert rules: conditions over a stored response or feedback item and what to do when they hold (docs/alerts.md)."""
