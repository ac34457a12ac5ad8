"""Alerts to the user's phone or mailbox (``notify.urls``), through Apprise."""
