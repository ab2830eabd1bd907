"""The EmailAgent on LangGraph: a StateGraph (agent -> tools -> approval) over the application's AgentToolbox."""
