// Placeholder: replaced by the scheduled feature's real screen.
export function ScheduledPage() {
  return <p className="p-6 text-sm text-slate-600">ScheduledPage</p>
}
