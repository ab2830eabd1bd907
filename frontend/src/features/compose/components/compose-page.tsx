// Placeholder: replaced by the compose feature's real screen.
export function ComposePage() {
  return <p className="p-6 text-sm text-slate-600">ComposePage</p>
}
