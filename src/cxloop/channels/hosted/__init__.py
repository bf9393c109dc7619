"""The hosted survey page (invitation links and anonymous public links) and the kiosk: server-rendered HTML forms
that work without JavaScript. See docs/channels-hosted-kiosk.md."""
