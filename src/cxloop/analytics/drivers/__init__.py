"""Key drivers: which themes, touchpoints, stages, channels, helpdesk measures and customer attributes move NPS,
CSAT or CES most (docs/analytics.md, "Key drivers"). queries.py counts, regression.py fits, service.py phrases."""
