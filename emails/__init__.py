"""Outgoing mail: templates, sending tasks and the development mailbox."""
