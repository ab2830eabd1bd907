"""Google People v1: the Contacts port (google-api-python-client, offline discovery document)."""
