"""Channels: how customers are reached and how their answers and feedback come in, one subpackage per channel
(hosted pages, widget, email, sms, helpdesk, reviews). `delivery` sends email and SMS invitations for the worker;
`messaging_routes` holds the public email and SMS routes (unsubscribe, bounces, SMS replies)."""
