"""SecretStore on local files, each secret encrypted at rest with AES-GCM."""
