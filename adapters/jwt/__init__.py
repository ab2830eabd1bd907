"""This platform's own access tokens as JWTs (PyJWT)."""
