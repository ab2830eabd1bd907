// Placeholder: replaced by the settings feature's real screen.
export function ApiKeysPage() {
  return <p className="p-6 text-sm text-slate-600">ApiKeysPage</p>
}
