"""The audit log: who did what, when and from where, written in the transaction of the change (docs/audit.md)."""
