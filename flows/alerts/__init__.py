"""Alerts in a run: detect and queue them, render the message, deliver to Slack or the console."""
