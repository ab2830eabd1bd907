"""Google Calendar v3: the Calendar port (google-api-python-client, offline discovery document)."""
