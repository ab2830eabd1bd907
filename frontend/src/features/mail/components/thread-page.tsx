// Placeholder: replaced by the mail feature's real screen.
export function ThreadPage() {
  return <p className="p-6 text-sm text-slate-600">ThreadPage</p>
}
