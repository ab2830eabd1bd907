// Placeholder: replaced by the compose feature's real screen.
export function DraftsPage() {
  return <p className="p-6 text-sm text-slate-600">DraftsPage</p>
}
