// Profile: who is signed in, and every session (device) with a way to sign the other ones out.
import { useQuery } from '@tanstack/react-query'
import { useId, useState } from 'react'
import { Button } from '@/components/button'
import { EmptyState } from '@/components/empty-state'
import { ErrorMessage } from '@/components/error-message'
import { fullDate } from '@/components/format-date'
import { Loading } from '@/components/loading'
import { meQueryOptions } from '../api/me'
import { useRevokeSession } from '../api/revoke-session'
import { sessionsQueryOptions } from '../api/sessions'
import { setUndoSendSeconds, undoSendSeconds } from '@/lib/undo-send'
import { deviceName } from '../lib/device'
import { Section } from './section'

function Field({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="grid grid-cols-[10rem_1fr] gap-2 py-1.5 text-sm">
      <dt className="text-slate-600">{label}</dt>
      <dd className="text-slate-900">{children}</dd>
    </div>
  )
}

function ProfileDetails() {
  const me = useQuery(meQueryOptions())
  if (me.isPending) return <Loading label="Loading your profile…" />
  if (me.isError) return <ErrorMessage error={me.error} />
  const user = me.data
  return (
    <dl className="divide-y divide-slate-100 rounded-md border border-slate-200 bg-white px-4">
      <Field label="Email">{user.email}</Field>
      <Field label="Display name">{user.display_name || <span className="text-slate-600">Not set</span>}</Field>
      <Field label="Role">{user.role === 'admin' ? 'Administrator' : 'User'}</Field>
      <Field label="Email verified">{user.email_verified_at ? fullDate(user.email_verified_at) : 'Not yet'}</Field>
      <Field label="Member since">{fullDate(user.created_at)}</Field>
    </dl>
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
                  {session.ip ? `${session.ip} · ` : ''}signed in {fullDate(session.created_at)}
                  {session.last_used_at ? ` · last active ${fullDate(session.last_used_at)}` : ''}
                </p>
              </div>
              {!session.current && (
                <Button
                  size="sm"
                  aria-label={`Sign out session ${device}${session.ip ? ` from ${session.ip}` : ''}`}
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

const UNDO_CHOICES = [0, 5, 10, 20, 30]

function UndoSendSetting() {
  const id = useId()
  const [seconds, setSeconds] = useState(undoSendSeconds)
  return (
    <div className="flex flex-wrap items-center gap-3 rounded-md border border-slate-200 bg-white px-4 py-3 text-sm">
      <label htmlFor={id} className="text-slate-900">
        Undo send window
      </label>
      <select
        id={id}
        value={seconds}
        onChange={(event) => {
          const next = Number(event.target.value)
          setUndoSendSeconds(next)
          setSeconds(next)
        }}
        className="rounded-md border border-slate-300 bg-white px-2 py-1"
      >
        {UNDO_CHOICES.map((choice) => (
          <option key={choice} value={choice}>
            {choice === 0 ? 'Off (send at once)' : `${choice} seconds`}
          </option>
        ))}
      </select>
      <p className="w-full text-slate-600">
        A new message waits this long on the server before it leaves, with Undo (or <kbd>z</kbd>) to take it back. Kept in
        this browser.
      </p>
    </div>
  )
}

export function ProfilePage() {
  return (
    <div className="flex flex-col gap-8">
      <Section title="Profile">
        <ProfileDetails />
      </Section>
      <Section title="Sending">
        <UndoSendSetting />
      </Section>
      <Section title="Sessions">
        <p className="-mt-1 text-sm text-slate-600">Devices signed in to your account. Signing one out ends it at once.</p>
        <SessionList />
      </Section>
    </div>
  )
}
