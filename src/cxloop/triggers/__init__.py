"""Triggers: when an event (or a point in time) happens for a customer, invite them to a survey on a channel."""
