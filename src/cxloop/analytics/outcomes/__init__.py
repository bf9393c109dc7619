"""CX joined to what it is worth: churn, revenue and lifetime value by score band (business.py), operational
measures against the score of the response that followed them (operations.py), and support agents and teams
(agents.py). docs/analytics.md, "Business outcomes, operations and agents"."""
