"""The agent's application side: the tools as use-case calls, and the gate every tool call passes."""
