"""Privacy requests (access and erasure of one person's data) and retention policies per data kind (docs/privacy.md)."""
