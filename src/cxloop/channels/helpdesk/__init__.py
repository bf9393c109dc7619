"""Support and chat: helpdesk webhooks (Zendesk, Intercom, a generic shape) become events and feedback items.

See docs/channels-helpdesk-reviews.md for the URLs, secrets, shapes and the event names and properties.
"""
