"""SecretStore on AWS Secrets Manager."""
