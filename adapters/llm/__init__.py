"""Chat models for the agent (langchain-core BaseChatModel): the embedded offline command model, and hosted
providers (Anthropic, OpenAI-compatible)."""
