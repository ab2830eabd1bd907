"""IMAP/SMTP accounts: the Mailbox port over any mail server (imapclient + smtplib, a local SQLite index)."""
