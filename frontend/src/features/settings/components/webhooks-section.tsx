// Webhooks: register an endpoint (its signing secret shown once), pick events, send a test, read the deliveries log
// with every attempt, replay a failed delivery, rotate the secret, disable or delete.
import { useQuery } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import type { components } from '@/api/schema'
import { Button } from '@/components/button'
import { Dialog } from '@/components/dialog'
import { EmptyState } from '@/components/empty-state'
import { ErrorMessage } from '@/components/error-message'
import { fullDate } from '@/components/format-date'
import { Loading } from '@/components/loading'
import { TextField } from '@/components/text-field'
import { ApiError } from '@/lib/api-error'
import { useCreateWebhook } from '../api/create-webhook'
import { useDeleteWebhook } from '../api/delete-webhook'
import { useReplayDelivery } from '../api/replay-delivery'
import { useRotateWebhookSecret } from '../api/rotate-webhook-secret'
import { useTestWebhook } from '../api/test-webhook'
import { useUpdateWebhook } from '../api/update-webhook'
import { webhookDeliveriesQueryOptions } from '../api/webhook-deliveries'
import { webhookEventTypesQueryOptions } from '../api/webhook-event-types'
import { webhooksQueryOptions } from '../api/webhooks'
import { Section } from './section'

type Webhook = components['schemas']['WebhookOut']
type EventTypes = components['schemas']['WebhookIn']['event_types']
type Secret = { title: string; secret: string; note: string }

function EventPicker({ value, onChange }: { value: string[]; onChange: (next: string[]) => void }) {
  const types = useQuery(webhookEventTypesQueryOptions())
  const all = value.includes('*')
  return (
    <fieldset className="flex flex-col gap-1.5">
      <legend className="mb-1 text-sm font-medium text-slate-700">Events</legend>
      <label className="flex items-center gap-2 text-sm text-slate-800">
        <input type="checkbox" checked={all} onChange={(e) => onChange(e.target.checked ? ['*'] : [])} />
        Every event, including future ones <code className="text-xs text-slate-600">*</code>
      </label>
      {!all &&
        (types.data ?? []).map((type) => (
          <label key={type} className="flex items-center gap-2 text-sm text-slate-800">
            <input
              type="checkbox"
              checked={value.includes(type)}
              onChange={(e) => onChange(e.target.checked ? [...value, type] : value.filter((t) => t !== type))}
            />
            <code className="text-xs">{type}</code>
          </label>
        ))}
    </fieldset>
  )
}

function CreateWebhookForm({ onSecret }: { onSecret: (secret: Secret) => void }) {
  const create = useCreateWebhook()
  const [url, setUrl] = useState('')
  const [description, setDescription] = useState('')
  const [events, setEvents] = useState<string[]>(['*'])
  const submit = (event: FormEvent) => {
    event.preventDefault()
    create.mutate(
      { url: url.trim(), description, event_types: events as EventTypes, enabled: true },
      {
        onSuccess: (created) => {
          setUrl('')
          setDescription('')
          setEvents(['*'])
          onSecret({ title: 'Your webhook signing secret', secret: created.secret, note: `For ${created.url}` })
        },
      },
    )
  }
  const urlError = create.error instanceof ApiError ? create.error.fieldMessage('url') : undefined
  return (
    <form onSubmit={submit} className="flex flex-col gap-4 rounded-md border border-slate-200 bg-white p-4" aria-label="Add a webhook">
      <TextField
        label="Receiver URL"
        name="url"
        type="url"
        required
        value={url}
        error={urlError}
        hint="https only (http://127.0.0.1 in the embedded default). Each request is signed per Standard Webhooks."
        onChange={(e) => setUrl(e.target.value)}
      />
      <TextField label="Description" name="description" maxLength={300} value={description} onChange={(e) => setDescription(e.target.value)} />
      <EventPicker value={events} onChange={setEvents} />
      {!urlError && <ErrorMessage error={create.error} />}
      <Button type="submit" variant="primary" className="self-start" busy={create.isPending} disabled={!url.trim() || events.length === 0}>
        Add webhook
      </Button>
    </form>
  )
}

function SecretDialog({ shown, onClose }: { shown: Secret | null; onClose: () => void }) {
  return (
    <Dialog
      open={shown !== null}
      title={shown?.title ?? ''}
      onClose={onClose}
      footer={
        <Button variant="primary" onClick={onClose}>
          Done
        </Button>
      }
    >
      <div className="flex flex-col gap-3">
        <p className="text-sm font-medium text-slate-900">Copy this secret now. It will not be shown again.</p>
        <code aria-label="Signing secret" className="break-all rounded-md bg-slate-100 px-3 py-2 font-mono text-sm text-slate-900">
          {shown?.secret}
        </code>
        <p className="text-sm text-slate-600">{shown?.note}</p>
        <p className="text-sm text-slate-600">
          Verify each request: <code>Webhook(secret).verify(body, headers)</code> from the <code>standardwebhooks</code> package.
        </p>
      </div>
    </Dialog>
  )
}

function Deliveries({ endpointId }: { endpointId: string }) {
  const deliveries = useQuery(webhookDeliveriesQueryOptions(endpointId))
  const replay = useReplayDelivery()
  if (deliveries.isPending) return <Loading label="Loading deliveries…" />
  if (deliveries.isError) return <ErrorMessage error={deliveries.error} />
  if (deliveries.data.length === 0) return <p className="text-sm text-slate-600">No deliveries yet.</p>
  return (
    <div className="overflow-x-auto" tabIndex={0} role="region" aria-label="Deliveries">
      <table className="w-full text-left text-sm">
        <caption className="sr-only">Deliveries, newest first</caption>
        <thead className="bg-slate-50 text-xs uppercase text-slate-700">
          <tr>
            <th scope="col" className="px-2 py-1">Created</th>
            <th scope="col" className="px-2 py-1">Event</th>
            <th scope="col" className="px-2 py-1">Status</th>
            <th scope="col" className="px-2 py-1">Attempts</th>
            <th scope="col" className="px-2 py-1"><span className="sr-only">Actions</span></th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {deliveries.data.map((d) => (
            <tr key={d.id}>
              <td className="px-2 py-1">{fullDate(d.created_at)}</td>
              <td className="px-2 py-1 font-mono text-xs">{d.event_type}</td>
              <td className="px-2 py-1">{d.status}</td>
              <td className="px-2 py-1 text-xs">
                {d.attempt_log.map((a) => (
                  <div key={a.number}>
                    #{a.number} {a.status_code ?? '—'} in {a.latency_ms} ms{a.error ? ` — ${a.error}` : ''}
                  </div>
                ))}
              </td>
              <td className="px-2 py-1">
                {d.status !== 'pending' && (
                  <Button size="sm" variant="ghost" busy={replay.isPending && replay.variables === d.id} onClick={() => replay.mutate(d.id)}>
                    Replay
                  </Button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <ErrorMessage error={replay.error} />
    </div>
  )
}

function WebhookCard({ webhook, onSecret }: { webhook: Webhook; onSecret: (secret: Secret) => void }) {
  const [open, setOpen] = useState(false)
  const test = useTestWebhook()
  const update = useUpdateWebhook()
  const rotate = useRotateWebhookSecret()
  const remove = useDeleteWebhook()
  const result = test.data
  return (
    <li className="flex flex-col gap-2 rounded-md border border-slate-200 bg-white p-4">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h3 className="break-all font-mono text-sm font-semibold text-slate-900">{webhook.url}</h3>
        <span className={`rounded-full px-2 py-0.5 text-xs font-semibold ${webhook.enabled ? 'bg-green-100 text-green-900' : 'bg-slate-200 text-slate-800'}`}>
          {webhook.enabled ? 'Enabled' : `Disabled${webhook.disabled_reason ? ` (${webhook.disabled_reason.replace('_', ' ')})` : ''}`}
        </span>
      </div>
      {webhook.description && <p className="text-sm text-slate-700">{webhook.description}</p>}
      <p className="text-xs text-slate-600">Events: {webhook.event_types.join(', ')}</p>
      {webhook.previous_secret_valid_until && (
        <p className="text-xs text-slate-600">The previous secret also signs until {fullDate(webhook.previous_secret_valid_until)}.</p>
      )}
      <div className="flex flex-wrap gap-2">
        <Button size="sm" busy={test.isPending} disabled={!webhook.enabled} onClick={() => test.mutate(webhook.id)}>
          Send test
        </Button>
        <Button size="sm" onClick={() => setOpen((v) => !v)} aria-expanded={open}>
          {open ? 'Hide deliveries' : 'Deliveries'}
        </Button>
        <Button size="sm" busy={update.isPending} onClick={() => update.mutate({ id: webhook.id, patch: { enabled: !webhook.enabled } })}>
          {webhook.enabled ? 'Disable' : 'Enable'}
        </Button>
        <Button
          size="sm"
          busy={rotate.isPending}
          onClick={() =>
            rotate.mutate(webhook.id, {
              onSuccess: (r) => onSecret({ title: 'Your new signing secret', secret: r.secret, note: 'The old secret keeps signing too for 24 hours.' }),
            })
          }
        >
          Rotate secret
        </Button>
        <Button size="sm" variant="ghost" busy={remove.isPending} onClick={() => remove.mutate(webhook.id)}>
          Delete
        </Button>
      </div>
      {result && (
        <p role="status" className="text-sm text-slate-700">
          Test {result.status === 'pending' ? 'failed, will be retried' : result.status}: {result.attempt_log[0]?.status_code ?? 'no answer'}
          {result.attempt_log[0]?.error ? ` — ${result.attempt_log[0].error}` : ''}
        </p>
      )}
      <ErrorMessage error={test.error ?? update.error ?? rotate.error ?? remove.error} />
      {open && <Deliveries endpointId={webhook.id} />}
    </li>
  )
}

export function WebhooksSection() {
  const webhooks = useQuery(webhooksQueryOptions())
  const [secret, setSecret] = useState<Secret | null>(null)
  return (
    <Section title="Webhooks">
      <p className="-mt-1 text-sm text-slate-600">mailagent POSTs signed JSON to your URL when mail arrives, is sent, changes labels, and more.</p>
      {webhooks.isPending ? (
        <Loading label="Loading webhooks…" />
      ) : webhooks.isError ? (
        <ErrorMessage error={webhooks.error} />
      ) : webhooks.data.length === 0 ? (
        <EmptyState title="No webhooks yet">Add one below.</EmptyState>
      ) : (
        <ul className="flex flex-col gap-3">
          {webhooks.data.map((w) => (
            <WebhookCard key={w.id} webhook={w} onSecret={setSecret} />
          ))}
        </ul>
      )}
      <CreateWebhookForm onSecret={setSecret} />
      <SecretDialog shown={secret} onClose={() => setSecret(null)} />
    </Section>
  )
}
