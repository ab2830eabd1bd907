// Placeholder: replaced by the mail feature's real screen.
export function MailboxPage() {
  return <p className="p-6 text-sm text-slate-600">MailboxPage</p>
}
