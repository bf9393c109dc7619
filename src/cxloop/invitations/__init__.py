"""Invitations: one request to one customer for one survey on one channel, with a signed, expiring token."""
