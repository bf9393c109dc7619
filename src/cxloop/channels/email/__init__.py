"""Email invitations: composed from the survey (HTML and plain text, one-click score links, RFC 8058 unsubscribe),
sent over SMTP (`CXLOOP_SMTP_URL`), with unsubscribe and bounce/complaint handling. Guide: docs/channels-email-sms.md.
"""
