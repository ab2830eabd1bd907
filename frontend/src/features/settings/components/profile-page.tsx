// Profile: who is signed in, their display name, password, undo-send window, the senders whose images are always
// shown, and every session (device and place) with a way to sign the other ones out. Settings live on the server.
import { useQuery } from '@tanstack/react-query'
import { useId, useState, type FormEvent } from 'react'
import { Button } from '@/components/button'
import { EmptyState } from '@/components/empty-state'
import { ErrorMessage } from '@/components/error-message'
import { fullDate } from '@/components/format-date'
import { Loading } from '@/components/loading'
import { PasswordChecklist } from '@/components/password-checklist'
import { TextField } from '@/components/text-field'
import { ApiError } from '@/lib/api-error'
import { passwordAcceptable } from '@/lib/password-rules'
import { UNDO_SEND_MAX } from '@/lib/undo-send'
import { useChangePassword } from '../api/change-password'
import { useAllowSenderImages, useDisallowSenderImages } from '../api/image-senders'
import { meQueryOptions } from '../api/me'
import { useRevokeSession } from '../api/revoke-session'
import { sessionsQueryOptions } from '../api/sessions'
import { useUpdateProfile } from '../api/update-profile'
import { deviceName } from '../lib/device'
import { Section } from './section'

type Me = Awaited<ReturnType<NonNullable<ReturnType<typeof meQueryOptions>['queryFn']>>>

function Field({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="grid grid-cols-[10rem_1fr] gap-2 py-1.5 text-sm">
      <dt className="text-slate-600">{label}</dt>
      <dd className="text-slate-900">{children}</dd>
    </div>
  )
}

function fieldError(error: unknown, field: string): string | undefined {
  return error instanceof ApiError ? error.fieldMessage(field) : undefined
}

function ProfileDetails({ me }: { me: Me }) {
  return (
    <dl className="divide-y divide-slate-100 rounded-md border border-slate-200 bg-white px-4">
      <Field label="Email">{me.email}</Field>
      <Field label="Role">{me.role === 'admin' ? 'Administrator' : 'User'}</Field>
      <Field label="Email verified">{me.email_verified_at ? fullDate(me.email_verified_at) : 'Not yet'}</Field>
      <Field label="Member since">{fullDate(me.created_at)}</Field>
    </dl>
  )
}

function DisplayNameForm({ me }: { me: Me }) {
  const update = useUpdateProfile()
  const [name, setName] = useState(me.display_name ?? '')
  const submit = (event: FormEvent) => {
    event.preventDefault()
    update.mutate({ display_name: name.trim() || null })
  }
  const unchanged = name.trim() === (me.display_name ?? '')
  return (
    <form onSubmit={submit} aria-label="Your display name" className="flex flex-wrap items-end gap-3 rounded-md border border-slate-200 bg-white px-4 py-3">
      <TextField
        label="Display name"
        value={name}
        maxLength={200}
        autoComplete="name"
        className="w-72"
        hint="Shown in the app and as the sender's name. Leave empty to show only your address."
        error={fieldError(update.error, 'display_name')}
        onChange={(e) => {
          setName(e.target.value)
          update.reset()
        }}
      />
      <Button type="submit" variant="primary" busy={update.isPending} disabled={unchanged}>
        Save name
      </Button>
      {update.isSuccess && (
        <p role="status" className="w-full text-sm text-emerald-800">
          {update.data.display_name ? `Saved: you are shown as ${update.data.display_name}.` : 'Saved: your address is shown instead of a name.'}
        </p>
      )}
      {update.isError && !fieldError(update.error, 'display_name') && <ErrorMessage error={update.error} className="w-full" />}
    </form>
  )
}

function ChangePasswordForm({ me }: { me: Me }) {
  const change = useChangePassword()
  const ids = { rules: useId() }
  const [current, setCurrent] = useState('')
  const [next, setNext] = useState('')
  const [confirm, setConfirm] = useState('')
  const [mismatch, setMismatch] = useState(false)
  const submit = (event: FormEvent) => {
    event.preventDefault()
    if (next !== confirm) {
      setMismatch(true)
      return
    }
    change.mutate(
      { current_password: current, new_password: next },
      {
        onSuccess: () => {
          setCurrent('')
          setNext('')
          setConfirm('')
        },
      },
    )
  }
  const edit = (set: (v: string) => void) => (e: React.ChangeEvent<HTMLInputElement>) => {
    set(e.target.value)
    setMismatch(false)
    if (!change.isPending) change.reset()
  }
  const currentError = fieldError(change.error, 'current_password')
  const newError = fieldError(change.error, 'new_password') && (change.error instanceof Error ? change.error.message : undefined)
  return (
    <form onSubmit={submit} aria-label="Change password" className="flex flex-col gap-3 rounded-md border border-slate-200 bg-white px-4 py-3">
      <div className="flex flex-wrap items-start gap-3">
        <TextField label="Current password" type="password" autoComplete="current-password" required className="w-64" value={current} onChange={edit(setCurrent)} error={currentError} />
        <TextField
          label="New password"
          type="password"
          autoComplete="new-password"
          required
          className="w-64"
          value={next}
          onChange={edit(setNext)}
          error={newError}
          aria-describedby={ids.rules}
        />
        <TextField
          label="Repeat the new password"
          type="password"
          autoComplete="new-password"
          required
          className="w-64"
          value={confirm}
          onChange={edit(setConfirm)}
          error={mismatch ? 'The two new passwords are not the same.' : undefined}
        />
      </div>
      <PasswordChecklist id={ids.rules} password={next} email={me.email} />
      <p className="text-sm text-slate-600">Changing it signs out every other device; this one stays signed in.</p>
      <div className="flex flex-wrap items-center gap-3">
        <Button type="submit" variant="primary" busy={change.isPending} disabled={!current || !passwordAcceptable(next, me.email) || !confirm}>
          Change password
        </Button>
        {change.isSuccess && (
          <p role="status" className="text-sm text-emerald-800">
            {change.data.message}
          </p>
        )}
      </div>
      {change.isError && !currentError && !newError && <ErrorMessage error={change.error} />}
    </form>
  )
}

const UNDO_CHOICES = [0, 5, 10, 20, UNDO_SEND_MAX]

function UndoSendSetting({ me }: { me: Me }) {
  const id = useId()
  const update = useUpdateProfile()
  const seconds = update.isPending && update.variables.undo_send_seconds != null ? update.variables.undo_send_seconds : me.undo_send_seconds
  const choices = UNDO_CHOICES.includes(seconds) ? UNDO_CHOICES : [...UNDO_CHOICES, seconds].sort((a, b) => a - b)
  return (
    <div className="flex flex-wrap items-center gap-3 rounded-md border border-slate-200 bg-white px-4 py-3 text-sm">
      <label htmlFor={id} className="text-slate-900">
        Undo send window
      </label>
      <select
        id={id}
        value={seconds}
        disabled={update.isPending}
        onChange={(event) => update.mutate({ undo_send_seconds: Number(event.target.value) })}
        className="rounded-md border border-slate-300 bg-white px-2 py-1"
      >
        {choices.map((choice) => (
          <option key={choice} value={choice}>
            {choice === 0 ? 'Off (send at once)' : `${choice} seconds`}
          </option>
        ))}
      </select>
      {update.isSuccess && (
        <span role="status" className="text-emerald-800">
          Saved
        </span>
      )}
      <p className="w-full text-slate-600">
        A new message waits this long on the server before it leaves, with Undo (or <kbd>z</kbd>) to take it back. Kept with
        your account, so it is the same on every device.
      </p>
      <ErrorMessage error={update.error} className="w-full" />
    </div>
  )
}

function ImageSenders({ me }: { me: Me }) {
  const allow = useAllowSenderImages()
  const disallow = useDisallowSenderImages()
  const [address, setAddress] = useState('')
  const submit = (event: FormEvent) => {
    event.preventDefault()
    allow.mutate(address.trim(), { onSuccess: () => setAddress('') })
  }
  return (
    <div className="flex flex-col gap-3">
      {me.image_senders.length === 0 ? (
        <EmptyState title="No senders yet">
          <p className="text-sm text-slate-600">Open a message and choose “Always show images from this sender”, or add an address here.</p>
        </EmptyState>
      ) : (
        <ul aria-label="Senders whose images are shown" className="divide-y divide-slate-100 rounded-md border border-slate-200 bg-white">
          {me.image_senders.map((sender) => (
            <li key={sender} className="flex items-center justify-between gap-3 px-4 py-2 text-sm">
              <span className="min-w-0 break-all text-slate-900">{sender}</span>
              <Button size="sm" aria-label={`Stop showing images from ${sender}`} busy={disallow.isPending && disallow.variables === sender} onClick={() => disallow.mutate(sender)}>
                Remove
              </Button>
            </li>
          ))}
        </ul>
      )}
      <ErrorMessage error={disallow.error} />
      <form onSubmit={submit} aria-label="Add a sender" className="flex flex-wrap items-end gap-3">
        <TextField
          label="Sender's address"
          type="email"
          className="w-72"
          value={address}
          onChange={(e) => {
            setAddress(e.target.value)
            allow.reset()
          }}
          error={allow.isError ? (allow.error instanceof Error ? allow.error.message : 'Not added.') : undefined}
        />
        <Button type="submit" disabled={!address.trim()} busy={allow.isPending}>
          Add sender
        </Button>
      </form>
    </div>
  )
}

function SessionList() {
  const sessions = useQuery(sessionsQueryOptions())
  const revoke = useRevokeSession()
  if (sessions.isPending) return <Loading label="Loading sessions…" />
  if (sessions.isError) return <ErrorMessage error={sessions.error} />
  const active = sessions.data.filter((s) => !s.revoked_at)
  if (active.length === 0) return <EmptyState title="No active sessions" />
  return (
    <>
      <ErrorMessage error={revoke.error} />
      <ul className="divide-y divide-slate-100 rounded-md border border-slate-200 bg-white">
        {active.map((session) => {
          const device = deviceName(session.user_agent)
          const place = session.place && session.place !== session.ip ? `${session.place} (${session.ip})` : session.place
          return (
            <li key={session.id} className="flex flex-wrap items-center justify-between gap-3 px-4 py-3">
              <div className="min-w-0 text-sm">
                <p className="truncate font-medium text-slate-900" title={session.user_agent ?? undefined}>
                  {device}
                  {session.current && (
                    <span className="ml-2 rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-semibold text-emerald-800">This device</span>
                  )}
                </p>
                <p className="text-slate-600">
                  {place} · signed in {fullDate(session.created_at)}
                  {session.last_used_at ? ` · last active ${fullDate(session.last_used_at)}` : ''}
                </p>
              </div>
              {!session.current && (
                <Button
                  size="sm"
                  aria-label={`Sign out session ${device}, ${session.place}`}
                  busy={revoke.isPending && revoke.variables === session.id}
                  onClick={() => revoke.mutate(session.id)}
                >
                  Sign out
                </Button>
              )}
            </li>
          )
        })}
      </ul>
    </>
  )
}

export function ProfilePage() {
  const me = useQuery(meQueryOptions())
  if (me.isPending) return <Loading label="Loading your profile…" />
  if (me.isError) return <ErrorMessage error={me.error} />
  return (
    <div className="flex flex-col gap-8">
      <Section title="Profile">
        <ProfileDetails me={me.data} />
        <DisplayNameForm me={me.data} />
      </Section>
      <Section title="Password">
        <ChangePasswordForm me={me.data} />
      </Section>
      <Section title="Sending">
        <UndoSendSetting me={me.data} />
      </Section>
      <Section title="Images">
        <p className="-mt-1 text-sm text-slate-600">Remote images in mail from these senders are shown without asking.</p>
        <ImageSenders me={me.data} />
      </Section>
      <Section title="Sessions">
        <p className="-mt-1 text-sm text-slate-600">
          Devices signed in to your account, with where they connected from (“This computer”, “Local network”, or the internet address).
          Signing one out ends it at once.
        </p>
        <SessionList />
      </Section>
    </div>
  )
}
