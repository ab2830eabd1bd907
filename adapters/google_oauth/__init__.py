"""Google OAuth 2.0 (google-auth-oauthlib): consent URL with PKCE, code exchange, revoke."""
