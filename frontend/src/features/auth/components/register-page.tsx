// Placeholder: replaced by the auth feature's real screen.
export function RegisterPage() {
  return <p className="p-6 text-sm text-slate-600">RegisterPage</p>
}
