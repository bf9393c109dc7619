"""The customer timeline: every domain's entries about one customer, merged newest first (docs/api-customers.md)."""
