// Placeholder: replaced by the admin feature's real screen.
export function SystemPage() {
  return <p className="p-6 text-sm text-slate-600">SystemPage</p>
}
