"""Held actions as snapshots: resolve a tool call into its exact effect when it is held, run exactly that effect when
its owner approves. `handlers.py` is the mechanism (one EffectHandler per family of tools); `mail.py` the mail
effects; a new family (calendar invites, an MCP client's calls) adds a handler and its Effect types in domain/."""
