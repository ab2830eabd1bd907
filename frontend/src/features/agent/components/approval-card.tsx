// An action the agent wants to take, shown from its frozen snapshot (recipients with their flags, the full body, the
// time, the exact messages) with Approve, Edit and Reject. Approve sends the snapshot's hash, so only what this card
// shows can run; an edit comes back as a new card to approve. After the decision it shows what became of it.
import { useId, useRef, useState } from 'react'
import { Button } from '@/components/button'
import { ErrorMessage } from '@/components/error-message'
import type { PendingAction } from '../types/agent'
import { actionKind, editableFields, outcomeText } from './describe-action'
import { EditActionDialog } from './edit-action-dialog'
import { SnapshotCard } from './snapshot-card'

export interface ApprovalCardProps {
  action: PendingAction
  onDecide: (action: PendingAction, approve: boolean) => Promise<void>
  /** A new snapshot from edited arguments (or, without them, from the draft's new version). */
  onEdit: (action: PendingAction, payload?: Record<string, unknown>) => Promise<void>
}

const STATUS_STYLE: Record<string, string> = {
  pending: 'border-amber-300 bg-amber-50',
  approved: 'border-slate-300 bg-white',
  executed: 'border-emerald-300 bg-white',
  failed: 'border-red-300 bg-white',
  rejected: 'border-slate-300 bg-slate-50',
}

export function ApprovalCard({ action, onDecide, onEdit }: ApprovalCardProps) {
  const headingId = useId()
  const [busy, setBusy] = useState<'approve' | 'reject' | 'refresh' | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [editing, setEditing] = useState(false)
  // A double click must not decide twice: the flag is set before React renders the disabled buttons.
  const deciding = useRef(false)
  const isPending = action.status === 'pending'
  const snapshot = action.snapshot
  const fields = snapshot ? editableFields(action) : []

  const run = async (kind: 'approve' | 'reject' | 'refresh', work: () => Promise<void>) => {
    if (deciding.current) return
    deciding.current = true
    setBusy(kind)
    setError(null)
    try {
      await work()
    } catch (failure) {
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
      <div className="mt-2">
        {snapshot ? (
          <SnapshotCard card={snapshot.card} />
        ) : (
          <p className="text-sm text-slate-700">
            {action.summary} — this action was prepared by an older version and can only be rejected.
          </p>
        )}
      </div>
      {isPending && action.source_changed && (
        <div role="status" className="mt-2 rounded-md border border-amber-400 bg-white p-2 text-sm text-amber-900">
          The draft was changed after this was prepared. Approving sends the version shown here, not the new one.
          <Button className="ml-2" busy={busy === 'refresh'} disabled={busy !== null} onClick={() => void run('refresh', () => onEdit(action))}>
            Show the new version
          </Button>
        </div>
      )}
      <ErrorMessage error={error} className="mt-2" />
      {isPending && (
        <div className="mt-3 flex flex-wrap items-center gap-2">
          <Button variant="primary" busy={busy === 'approve'} disabled={busy !== null || !snapshot} onClick={() => void run('approve', () => onDecide(action, true))}>
            Approve
          </Button>
          {fields.length > 0 && (
            <Button disabled={busy !== null} onClick={() => setEditing(true)}>
              Edit
            </Button>
          )}
          <Button variant="danger" busy={busy === 'reject'} disabled={busy !== null} onClick={() => void run('reject', () => onDecide(action, false))}>
            Reject
          </Button>
        </div>
      )}
      {editing && (
        <EditActionDialog
          action={action}
          fields={fields}
          onClose={() => setEditing(false)}
          onSubmit={async (edited) => {
            await onEdit(action, edited)
            setEditing(false)
          }}
        />
      )}
    </article>
  )
}
