"""SMS invitations and replies: a provider interface with a Twilio-compatible client (its REST form API), and the
inbound reply webhook (`X-Twilio-Signature` checked) that turns "9", "9 great service", STOP and START into answers
and consent changes. Guide: docs/channels-email-sms.md.
"""
