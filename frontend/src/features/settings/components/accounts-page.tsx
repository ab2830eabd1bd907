// Placeholder: replaced by the settings feature's real screen.
export function AccountsPage() {
  return <p className="p-6 text-sm text-slate-600">AccountsPage</p>
}
