"""CloudWatch: metrics as embedded-metric-format (EMF) log lines, and JSON logs shipped to CloudWatch Logs."""
