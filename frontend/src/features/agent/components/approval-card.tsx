// An action the agent wants to take, shown in full (recipients, subject, body, time, every other field) with
// Approve, Edit and Reject; after the decision it shows what became of it.
import { useQuery } from '@tanstack/react-query'
import { useId, useRef, useState, type ReactNode } from 'react'
import { Link } from 'react-router'
import { Button } from '@/components/button'
import { ErrorMessage } from '@/components/error-message'
import { draftQueryOptions } from '../api/get-draft'
import type { PendingAction } from '../types/agent'
import { actionKind, addressList, editableFields, outcomeText } from './describe-action'
import { EditActionDialog } from './edit-action-dialog'

export interface ApprovalCardProps {
  action: PendingAction
  onDecide: (action: PendingAction, approve: boolean, payload?: Record<string, unknown>) => Promise<void>
}

// Fields with their own wording, in the order a person reads an e-mail; anything else is listed by its key.
const KNOWN_FIELDS = [
  'to',
  'cc',
  'bcc',
  'subject',
  'send_at',
  'timezone',
  'reply_all',
  'message_id',
  'message_ids',
  'label',
  'read',
  'draft_id',
  'scheduled_id',
  'account_id',
  'body',
] as const
const FIELD_LABEL: Record<string, string> = {
  to: 'To',
  cc: 'Cc',
  bcc: 'Bcc',
  subject: 'Subject',
  send_at: 'Scheduled for',
  timezone: 'Time zone',
  reply_all: 'Reply to all',
  message_id: 'Message',
  message_ids: 'Messages',
  label: 'Label',
  read: 'Mark as',
  draft_id: 'Draft',
  scheduled_id: 'Scheduled email',
  account_id: 'Mail account',
  body: 'Body',
}

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="grid grid-cols-[7rem_1fr] gap-2 py-1 text-sm">
      <dt className="font-medium text-slate-700">{label}</dt>
      <dd className="min-w-0 break-words text-slate-900">{children}</dd>
    </div>
  )
}

function Body({ text }: { text: string }) {
  return <pre className="max-h-80 overflow-y-auto whitespace-pre-wrap break-words rounded bg-slate-50 p-2 font-sans text-sm text-slate-900">{text || '(empty)'}</pre>
}

function valueText(key: string, value: unknown): ReactNode {
  if (key === 'to' || key === 'cc' || key === 'bcc') return addressList(value).join(', ') || '(nobody)'
  if (key === 'body') return <Body text={String(value ?? '')} />
  if (key === 'subject') return String(value) || '(no subject)'
  if (key === 'reply_all') return value === true ? 'Yes, everyone on the message' : 'No, only the sender'
  if (key === 'read') return value === false ? 'Unread' : 'Read'
  if (key === 'message_ids' && Array.isArray(value)) return `${value.length} (${value.map(String).join(', ')})`
  if (typeof value === 'string') return value
  return <code className="whitespace-pre-wrap break-all text-xs">{JSON.stringify(value, null, 2)}</code>
}

function PayloadFields({ payload }: { payload: Record<string, unknown> }) {
  const known = KNOWN_FIELDS.filter((key) => key in payload && !(key === 'body' && payload.body === undefined))
  const unknown = Object.keys(payload).filter((key) => !(KNOWN_FIELDS as readonly string[]).includes(key))
  return (
    <dl className="divide-y divide-slate-100">
      {known.map((key) => (
        <Field key={key} label={FIELD_LABEL[key] ?? key}>
          {valueText(key, payload[key])}
        </Field>
      ))}
      {unknown.map((key) => (
        <Field key={key} label={key}>
          {valueText(key, payload[key])}
        </Field>
      ))}
    </dl>
  )
}

/** A held "send the draft" names only the draft: show what that draft holds right now. */
function DraftContents({ draftId, accountId, frozen }: { draftId: string; accountId: string | null; frozen: boolean }) {
  // While the decision runs the draft is being sent (and deleted): live events must not refetch it into a 404.
  const draft = useQuery({ ...draftQueryOptions(draftId, accountId), enabled: !frozen })
  if (draft.isPending) return <p className="text-sm text-slate-600">Loading the draft…</p>
  if (draft.isError) {
    return (
      <div className="text-sm">
        <p className="text-slate-700">The draft could not be loaded; the description above is what the server recorded.</p>
        <ErrorMessage error={draft.error} className="mt-1" />
      </div>
    )
  }
  const m = draft.data.message
  const names = (list: { name: string; address: string }[]) => list.map((a) => (a.name ? `${a.name} <${a.address}>` : a.address)).join(', ')
  return (
    <div className="rounded-md border border-slate-200 p-2">
      <p className="text-xs font-semibold uppercase tracking-wide text-slate-600">The draft that will be sent</p>
      <dl className="divide-y divide-slate-100">
        <Field label="To">{names(m.to) || '(nobody)'}</Field>
        {m.cc.length > 0 && <Field label="Cc">{names(m.cc)}</Field>}
        {m.bcc.length > 0 && <Field label="Bcc">{names(m.bcc)}</Field>}
        <Field label="Subject">{m.subject || '(no subject)'}</Field>
        {m.attachments.length > 0 && <Field label="Attachments">{m.attachments.map((a) => a.filename).join(', ')}</Field>}
        <Field label="Body">
          <Body text={m.text_body} />
        </Field>
      </dl>
    </div>
  )
}

const STATUS_STYLE: Record<string, string> = {
  pending: 'border-amber-300 bg-amber-50',
  approved: 'border-slate-300 bg-white',
  executed: 'border-emerald-300 bg-white',
  failed: 'border-red-300 bg-white',
  rejected: 'border-slate-300 bg-slate-50',
}

export function ApprovalCard({ action, onDecide }: ApprovalCardProps) {
  const headingId = useId()
  const [busy, setBusy] = useState<'approve' | 'reject' | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [editing, setEditing] = useState(false)
  // A double click must not decide twice: the flag is set before React renders the disabled buttons.
  const deciding = useRef(false)
  const payload = action.payload
  const isPending = action.status === 'pending'
  const fields = editableFields(action)
  const draftId = action.tool === 'send_email' && typeof payload.draft_id === 'string' ? payload.draft_id : null
  const accountId = typeof payload.account_id === 'string' ? payload.account_id : null

  const run = async (approve: boolean, edited?: Record<string, unknown>) => {
    if (deciding.current) return
    deciding.current = true
    setBusy(approve ? 'approve' : 'reject')
    setError(null)
    try {
      await onDecide(action, approve, edited)
      setEditing(false)
    } catch (failure) {
      if (edited) throw failure // the dialog shows it next to the fields
      setError(failure)
    } finally {
      deciding.current = false
      setBusy(null)
    }
  }

  return (
    <article aria-labelledby={headingId} className={`rounded-lg border p-3 shadow-sm ${STATUS_STYLE[action.status] ?? 'border-slate-300 bg-white'}`}>
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h3 id={headingId} className="text-base font-semibold text-slate-900">
          {actionKind(action)}
        </h3>
        <p className="text-sm font-medium text-slate-800">{outcomeText(action)}</p>
      </div>
      <p className="mt-1 text-sm text-slate-700">{action.summary}</p>
      <div className="mt-2 space-y-2">
        <PayloadFields payload={payload} />
        {draftId && isPending && <DraftContents draftId={draftId} accountId={accountId} frozen={busy !== null} />}
      </div>
      <ErrorMessage error={error} className="mt-2" />
      {isPending && (
        <div className="mt-3 flex flex-wrap items-center gap-2">
          <Button variant="primary" busy={busy === 'approve'} disabled={busy !== null} onClick={() => void run(true)}>
            Approve
          </Button>
          {fields.length > 0 && (
            <Button disabled={busy !== null} onClick={() => setEditing(true)}>
              Edit
            </Button>
          )}
          <Button variant="danger" busy={busy === 'reject'} disabled={busy !== null} onClick={() => void run(false)}>
            Reject
          </Button>
          {draftId && (
            <Link to="/drafts" className="text-sm text-brand-700 underline">
              Change the draft in Drafts
            </Link>
          )}
        </div>
      )}
      {editing && (
        <EditActionDialog
          action={action}
          fields={fields}
          busy={busy === 'approve'}
          onClose={() => setEditing(false)}
          onSubmit={(edited) => run(true, edited)}
        />
      )}
    </article>
  )
}
