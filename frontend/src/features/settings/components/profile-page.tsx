// Placeholder: replaced by the settings feature's real screen.
export function ProfilePage() {
  return <p className="p-6 text-sm text-slate-600">ProfilePage</p>
}
