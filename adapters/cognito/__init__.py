"""IdentityProvider on Amazon Cognito user pools."""
