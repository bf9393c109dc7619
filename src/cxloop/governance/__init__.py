"""Governance: consent per channel, the contact policy every invitation passes, and (later) privacy and retention."""
