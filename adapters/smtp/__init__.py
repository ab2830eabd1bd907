"""System mail over SMTP for production installations."""
