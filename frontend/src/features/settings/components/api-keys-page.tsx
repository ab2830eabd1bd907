// API keys: list, create (the full key shown once), revoke with confirmation.
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
import { apiKeysQueryOptions } from '../api/api-keys'
import { useCreateApiKey } from '../api/create-api-key'
import { useRevokeApiKey } from '../api/revoke-api-key'
import { API_KEY_SCOPES, EXPIRY_CHOICES } from '../types/api-key-scopes'
import { Section } from './section'

type ApiKey = components['schemas']['ApiKeyOut']
type CreatedKey = components['schemas']['ApiKeyCreatedOut']
type Scope = NonNullable<components['schemas']['ApiKeyIn']['scopes']>[number]

function CreateKeyForm({ onCreated }: { onCreated: (key: CreatedKey) => void }) {
  const create = useCreateApiKey()
  const [name, setName] = useState('')
  const [scopes, setScopes] = useState<Scope[]>([])
  const [expiry, setExpiry] = useState('')
  const submit = (event: FormEvent) => {
    event.preventDefault()
    if (!name.trim()) return
    create.mutate(
      { name: name.trim(), scopes, expires_in_days: expiry ? Number(expiry) : null },
      {
        onSuccess: (key) => {
          setName('')
          setScopes([])
          setExpiry('')
          onCreated(key)
        },
      },
    )
  }
  const nameError = create.error instanceof ApiError ? create.error.fieldMessage('name') : undefined
  return (
    <form onSubmit={submit} className="flex flex-col gap-4 rounded-md border border-slate-200 bg-white p-4">
      <TextField label="Key name" name="name" required maxLength={100} value={name} error={nameError} hint="For you: where the key is used, e.g. “backup script”." onChange={(e) => setName(e.target.value)} />
      <fieldset className="flex flex-col gap-1.5">
        <legend className="mb-1 text-sm font-medium text-slate-700">Scopes</legend>
        <p className="text-xs text-slate-600">None ticked means every scope your account has.</p>
        {API_KEY_SCOPES.map((scope) => (
          <label key={scope.value} className="flex items-start gap-2 text-sm text-slate-800">
            <input
              type="checkbox"
              className="mt-0.5"
              checked={scopes.includes(scope.value)}
              onChange={(e) => setScopes((current) => (e.target.checked ? [...current, scope.value] : current.filter((s) => s !== scope.value)))}
            />
            <span>
              {scope.label} <code className="text-xs text-slate-600">{scope.value}</code>
              <span className="block text-xs text-slate-600">{scope.description}</span>
            </span>
          </label>
        ))}
      </fieldset>
      <div className="flex flex-col gap-1">
        <label htmlFor="api-key-expiry" className="text-sm font-medium text-slate-700">
          Expires
        </label>
        <select
          id="api-key-expiry"
          value={expiry}
          onChange={(e) => setExpiry(e.target.value)}
          className="w-48 rounded-md border border-slate-300 bg-white px-3 py-2 text-sm"
        >
          {EXPIRY_CHOICES.map((choice) => (
            <option key={choice.value} value={choice.value}>
              {choice.label}
            </option>
          ))}
        </select>
      </div>
      {!nameError && <ErrorMessage error={create.error} />}
      <Button type="submit" variant="primary" className="self-start" busy={create.isPending} disabled={!name.trim()}>
        Create key
      </Button>
    </form>
  )
}

function NewKeyDialog({ apiKey, onClose }: { apiKey: CreatedKey | null; onClose: () => void }) {
  const [copied, setCopied] = useState<'idle' | 'copied' | 'failed'>('idle')
  const copy = async () => {
    if (!apiKey) return
    try {
      await navigator.clipboard.writeText(apiKey.key)
      setCopied('copied')
    } catch {
      setCopied('failed')
    }
  }
  const close = () => {
    setCopied('idle')
    onClose()
  }
  return (
    <Dialog
      open={apiKey !== null}
      title="Your new API key"
      onClose={close}
      footer={
        <Button variant="primary" onClick={close}>
          Done
        </Button>
      }
    >
      <div className="flex flex-col gap-3">
        <p className="text-sm font-medium text-slate-900">Copy this key now. It will not be shown again.</p>
        <div className="flex items-center gap-2">
          <code aria-label="API key" className="min-w-0 flex-1 break-all rounded-md bg-slate-100 px-3 py-2 font-mono text-sm text-slate-900">
            {apiKey?.key}
          </code>
          <Button onClick={() => void copy()}>Copy</Button>
        </div>
        <p role="status" className="text-sm text-slate-700">
          {copied === 'copied' ? 'Copied to the clipboard.' : copied === 'failed' ? 'Copying failed: select the key and copy it by hand.' : ''}
        </p>
        <p className="text-sm text-slate-600">
          Send it as the <code>X-API-Key</code> header. Only its prefix <code>{apiKey?.prefix}</code> is kept for display.
        </p>
      </div>
    </Dialog>
  )
}

function KeyRow({ apiKey, now, onRevoke }: { apiKey: ApiKey; now: number; onRevoke: (key: ApiKey) => void }) {
  const revoked = apiKey.revoked_at !== null
  const expired = !revoked && apiKey.expires_at !== null && new Date(apiKey.expires_at).getTime() < now
  return (
    <tr className={revoked ? 'text-slate-600' : 'text-slate-900'}>
      <td className="px-3 py-2 font-medium">{apiKey.name}</td>
      <td className="px-3 py-2 font-mono text-xs">{apiKey.prefix}…</td>
      <td className="px-3 py-2 text-xs">{apiKey.scopes.length ? apiKey.scopes.join(', ') : 'All your scopes'}</td>
      <td className="px-3 py-2">{fullDate(apiKey.created_at)}</td>
      <td className="px-3 py-2">{apiKey.last_used_at ? fullDate(apiKey.last_used_at) : 'Never'}</td>
      <td className="px-3 py-2">{apiKey.expires_at ? fullDate(apiKey.expires_at) : 'Never'}</td>
      <td className="px-3 py-2">
        {apiKey.revoked_at !== null ? (
          <span className="rounded-full bg-slate-200 px-2 py-0.5 text-xs font-semibold text-slate-800">Revoked {fullDate(apiKey.revoked_at)}</span>
        ) : expired ? (
          <span className="rounded-full bg-amber-100 px-2 py-0.5 text-xs font-semibold text-amber-900">Expired</span>
        ) : (
          <Button size="sm" variant="ghost" aria-label={`Revoke ${apiKey.name}`} onClick={() => onRevoke(apiKey)}>
            Revoke
          </Button>
        )}
      </td>
    </tr>
  )
}

export function ApiKeysPage() {
  const keys = useQuery(apiKeysQueryOptions())
  const revoke = useRevokeApiKey()
  const [created, setCreated] = useState<CreatedKey | null>(null)
  const [revoking, setRevoking] = useState<ApiKey | null>(null)
  // Taken once per visit: whether a key has expired does not need to tick while the page is open.
  const [now] = useState(() => Date.now())

  return (
    <div className="flex flex-col gap-8">
      <Section title="API keys">
        <p className="-mt-1 text-sm text-slate-600">Keys let scripts and other tools use the mailagent API as you.</p>
        {keys.isPending ? (
          <Loading label="Loading API keys…" />
        ) : keys.isError ? (
          <ErrorMessage error={keys.error} />
        ) : keys.data.length === 0 ? (
          <EmptyState title="No API keys yet">Create one below.</EmptyState>
        ) : (
          <div className="overflow-x-auto rounded-md border border-slate-200 bg-white" tabIndex={0} role="region" aria-label="API keys table">
            <table className="w-full text-left text-sm">
              <caption className="sr-only">Your API keys</caption>
              <thead className="bg-slate-50 text-xs uppercase text-slate-700">
                <tr>
                  <th scope="col" className="px-3 py-2">Name</th>
                  <th scope="col" className="px-3 py-2">Prefix</th>
                  <th scope="col" className="px-3 py-2">Scopes</th>
                  <th scope="col" className="px-3 py-2">Created</th>
                  <th scope="col" className="px-3 py-2">Last used</th>
                  <th scope="col" className="px-3 py-2">Expires</th>
                  <th scope="col" className="px-3 py-2">Status</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {keys.data.map((key) => (
                  <KeyRow key={key.id} apiKey={key} now={now} onRevoke={setRevoking} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Section>
      <Section title="Create an API key">
        <CreateKeyForm onCreated={setCreated} />
      </Section>
      <NewKeyDialog apiKey={created} onClose={() => setCreated(null)} />
      <Dialog
        open={revoking !== null}
        title="Revoke API key?"
        onClose={() => {
          setRevoking(null)
          revoke.reset()
        }}
        footer={
          <>
            <Button onClick={() => setRevoking(null)}>Cancel</Button>
            <Button
              variant="danger"
              busy={revoke.isPending}
              onClick={() => revoking && revoke.mutate(revoking.id, { onSuccess: () => setRevoking(null) })}
            >
              Revoke key
            </Button>
          </>
        }
      >
        <p className="text-sm text-slate-700">
          <strong>{revoking?.name}</strong> stops working at once. Anything using it will be refused. This cannot be undone.
        </p>
        <ErrorMessage error={revoke.error} className="mt-3" />
      </Dialog>
    </div>
  )
}
