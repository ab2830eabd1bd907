// Placeholder: replaced by the auth feature's real screen.
export function LoginPage() {
  return <p className="p-6 text-sm text-slate-600">LoginPage</p>
}
