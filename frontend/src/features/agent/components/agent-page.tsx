// Placeholder: replaced by the agent feature's real screen.
export function AgentPage() {
  return <p className="p-6 text-sm text-slate-600">AgentPage</p>
}
