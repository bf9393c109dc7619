"""The organisation's branding: its name, sender name, primary colour and logo, used by every page and message a
customer sees (hosted pages, kiosk, widget, email, SMS)."""
