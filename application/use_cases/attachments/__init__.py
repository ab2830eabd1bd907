"""Attachments: upload once (scanned, stored in the blob store), attach to any message by id, expire after 24 h."""
