"""Reviews and social posts: an ingestion endpoint and `cxloop import reviews`, stored as feedback items.

See docs/channels-helpdesk-reviews.md for the item shape, rating scales and how authors are linked to customers.
"""
