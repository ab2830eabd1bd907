// What an approval would really do, drawn from the action's frozen snapshot: every recipient with its flags, the
// labelled fields, the full body (and its formatted version, which loads nothing), attachments, messages and notes.
import type { ReactNode } from 'react'
import type { ActionCard, CardRecipient } from '../types/agent'

const FIELD_NAME: Record<string, string> = { to: 'To', cc: 'Cc', bcc: 'Bcc' }

function Row({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="grid grid-cols-[7rem_1fr] gap-2 py-1 text-sm">
      <dt className="font-medium text-slate-700">{label}</dt>
      <dd className="min-w-0 break-words text-slate-900">{children}</dd>
    </div>
  )
}

function RecipientLine({ recipient }: { recipient: CardRecipient }) {
  const flagged = recipient.flag_texts.length > 0
  return (
    <li className={`rounded px-1 py-0.5 ${flagged ? 'bg-amber-100/70' : ''}`} data-recipient={recipient.address}>
      <span className="font-medium text-slate-700">{FIELD_NAME[recipient.field] ?? recipient.field}: </span>
      {recipient.name && <span className="text-slate-900">{recipient.name} </span>}
      <span className="font-mono text-slate-900">&lt;{recipient.address}&gt;</span>
      {recipient.ascii_address !== recipient.address && (
        <span className="font-mono text-xs text-amber-900"> (really {recipient.ascii_address})</span>
      )}
      {flagged && (
        <ul className="ml-4 list-none" aria-label={`Warnings about ${recipient.address}`}>
          {recipient.flag_texts.map((text, i) => (
            <li key={recipient.flags[i] ?? text} className="text-xs font-medium text-amber-900" data-flag={recipient.flags[i]}>
              ⚠ {text}
            </li>
          ))}
        </ul>
      )}
    </li>
  )
}

/** The formatted version in a sandboxed frame: no scripts, and a policy that lets nothing load from anywhere. */
function HtmlPreview({ html }: { html: string }) {
  const document = [
    '<!doctype html><html><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data: cid:; style-src 'unsafe-inline'">`,
    '</head><body>',
    html,
    '</body></html>',
  ].join('')
  return (
    <details className="text-sm">
      <summary className="cursor-pointer text-slate-700">Formatted version (remote images are not loaded)</summary>
      <iframe title="Formatted version of the message" sandbox="" srcDoc={document} referrerPolicy="no-referrer" className="mt-1 h-64 w-full rounded border border-slate-200 bg-white" />
    </details>
  )
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`
}

export function SnapshotCard({ card }: { card: ActionCard }) {
  return (
    <div className="space-y-2">
      <p className="text-sm font-medium text-slate-900">{card.title}</p>
      {card.recipients.length > 0 && (
        <ul aria-label="Recipients" className="space-y-0.5 text-sm">
          {card.recipients.map((r) => (
            <RecipientLine key={`${r.field}:${r.address}`} recipient={r} />
          ))}
        </ul>
      )}
      {card.fields.length > 0 && (
        <dl className="divide-y divide-slate-100">
          {card.fields.map((f) => (
            <Row key={f.label} label={f.label}>
              {f.value}
            </Row>
          ))}
        </dl>
      )}
      {card.items.length > 0 && (
        <ul aria-label="Affected" className="list-disc space-y-0.5 pl-5 text-sm text-slate-900">
          {card.items.map((item, i) => (
            <li key={`${item.label}-${i}`}>
              {item.label}
              {item.detail && <span className="text-slate-600"> — {item.detail}</span>}
            </li>
          ))}
        </ul>
      )}
      {card.attachments.length > 0 && (
        <ul aria-label="Attachments" className="text-sm text-slate-900">
          {card.attachments.map((a) => (
            <li key={a.sha256 + a.filename}>
              📎 {a.filename} ({size(a.size)}, SHA-256 <span className="font-mono text-xs">{a.sha256.slice(0, 12)}…</span>)
            </li>
          ))}
        </ul>
      )}
      {card.body !== null && card.body !== undefined && (
        <pre className="max-h-80 overflow-y-auto whitespace-pre-wrap break-words rounded bg-slate-50 p-2 font-sans text-sm text-slate-900">
          {card.body || '(empty)'}
        </pre>
      )}
      {card.html_body && <HtmlPreview html={card.html_body} />}
      {card.notes.length > 0 && (
        <ul aria-label="Notes" className="space-y-0.5 text-sm text-amber-900">
          {card.notes.map((note) => (
            <li key={note}>{note}</li>
          ))}
        </ul>
      )}
    </div>
  )
}
