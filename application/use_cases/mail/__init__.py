"""Mail use cases: accounts, search and read, send, drafts and labels — each scoped to the caller's accounts."""
