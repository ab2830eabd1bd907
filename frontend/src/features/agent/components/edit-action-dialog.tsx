// Change what an action will do: the edited arguments come back as a new card (a new snapshot) to look at and approve;
// nothing runs from here.
import { useId, useState, type FormEvent } from 'react'
import { Button } from '@/components/button'
import { Dialog } from '@/components/dialog'
import { ErrorMessage } from '@/components/error-message'
import { TextField } from '@/components/text-field'
import type { PendingAction } from '../types/agent'
import { ADDRESS_FIELDS, actionKind, addressList, editedPayload, type EditableField } from './describe-action'

export interface EditActionDialogProps {
  action: PendingAction
  fields: EditableField[]
  onClose: () => void
  onSubmit: (payload: Record<string, unknown>) => Promise<void>
}

const LABEL: Record<EditableField, string> = {
  to: 'To',
  cc: 'Cc',
  bcc: 'Bcc',
  subject: 'Subject',
  body: 'Body',
  send_at: 'Send at',
  timezone: 'Time zone',
  reply_all: 'Reply to everyone on the message',
}

function initialValues(action: PendingAction, fields: EditableField[]): Record<string, string | boolean> {
  const values: Record<string, string | boolean> = {}
  for (const field of fields) {
    const value = action.payload[field]
    if (field === 'reply_all') values[field] = value === true
    else if (ADDRESS_FIELDS.has(field)) values[field] = addressList(value).join(', ')
    else values[field] = typeof value === 'string' ? value : ''
  }
  return values
}

export function EditActionDialog({ action, fields, onClose, onSubmit }: EditActionDialogProps) {
  const [values, setValues] = useState(() => initialValues(action, fields))
  const [error, setError] = useState<unknown>(null)
  const [busy, setBusy] = useState(false)
  const formId = useId()
  const bodyId = useId()
  const set = (field: EditableField, value: string | boolean) => setValues((prev) => ({ ...prev, [field]: value }))

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    if (busy) return
    setError(null)
    setBusy(true)
    try {
      await onSubmit(editedPayload(action, fields, values))
    } catch (failure) {
      setError(failure)
    } finally {
      setBusy(false)
    }
  }

  return (
    <Dialog
      open
      title={`Edit: ${actionKind(action)}`}
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="primary" type="submit" form={formId} busy={busy}>
            Show the edited version
          </Button>
        </>
      }
    >
      <form id={formId} className="flex flex-col gap-3" onSubmit={(event) => void submit(event)}>
        <p className="text-sm text-slate-700">
          Your changes are checked and shown as a new card with every recipient; nothing runs until you approve that card.
        </p>
        {fields.map((field) => {
          if (field === 'body') {
            return (
              <div key={field} className="flex flex-col gap-1">
                <label htmlFor={bodyId} className="text-sm font-medium text-slate-700">
                  {LABEL.body}
                </label>
                <textarea
                  id={bodyId}
                  rows={8}
                  value={String(values.body ?? '')}
                  onChange={(event) => set('body', event.target.value)}
                  className="rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm focus:border-brand-600 focus:outline-none focus:ring-2 focus:ring-brand-100"
                />
              </div>
            )
          }
          if (field === 'reply_all') {
            return (
              <label key={field} className="flex items-center gap-2 text-sm text-slate-800">
                <input type="checkbox" checked={values.reply_all === true} onChange={(event) => set('reply_all', event.target.checked)} />
                {LABEL.reply_all}
              </label>
            )
          }
          return (
            <TextField
              key={field}
              label={LABEL[field]}
              value={String(values[field] ?? '')}
              onChange={(event) => set(field, event.target.value)}
              hint={
                ADDRESS_FIELDS.has(field)
                  ? 'Addresses separated by commas'
                  : field === 'send_at'
                    ? 'ISO 8601, e.g. 2026-12-24T09:00:00'
                    : field === 'timezone'
                      ? 'e.g. Europe/Berlin'
                      : undefined
              }
            />
          )
        })}
        <ErrorMessage error={error} />
      </form>
    </Dialog>
  )
}
