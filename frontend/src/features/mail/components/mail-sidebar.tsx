// The mail part of the left navigation: mailbox switcher, system labels then user labels with unread counts, "New label".
import { useQueries, useQuery } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { Link, NavLink } from 'react-router'
import { Button } from '@/components/button'
import { ErrorMessage } from '@/components/error-message'
import { TextField } from '@/components/text-field'
import { ApiError } from '@/lib/api-error'
import { ALL_ACCOUNTS, setActiveAccountId, useMailScope } from '@/lib/active-account'
import { useCreateLabel } from '../api/create-label'
import { accountsQueryOptions } from '../api/list-accounts'
import { labelsQueryOptions } from '../api/list-labels'
import { useMailboxStatus } from '../hooks/use-mailbox-status'
import { labelPath, showsUnreadCount, SYSTEM_LABELS, userLabels, type Label } from '../types/labels'

const linkClass = ({ isActive }: { isActive: boolean }) =>
  `flex items-center justify-between gap-2 rounded-md px-3 py-1.5 text-sm ${
    isActive ? 'bg-brand-50 font-semibold text-brand-700' : 'text-slate-700 hover:bg-slate-100'
  }`

function LabelLink({ id, name, unread }: { id: string; name: string; unread: number }) {
  const count = showsUnreadCount(id) && unread > 0 ? unread : 0
  return (
    <li>
      <NavLink to={labelPath(id)} className={linkClass} aria-label={count ? `${name}, ${count} unread` : name}>
        <span className="truncate">{name}</span>
        {count > 0 && (
          <span className="rounded-full bg-slate-200 px-2 text-xs font-semibold text-slate-800" aria-hidden="true">
            {count}
          </span>
        )}
      </NavLink>
    </li>
  )
}

function AccountSwitcher() {
  const accounts = useQuery(accountsQueryOptions())
  const activeId = useMailScope()
  if (accounts.isPending) return null
  if (accounts.isError) return <ErrorMessage error={accounts.error} />
  const list = accounts.data
  if (list.length === 0) {
    return (
      <div className="rounded-md border border-slate-200 bg-slate-50 p-3 text-sm text-slate-700">
        <p>No mailbox is connected yet.</p>
        <Link to="/settings/accounts" className="mt-1 inline-block font-semibold text-brand-700 underline">
          Connect a mailbox
        </Link>
      </div>
    )
  }
  // The backend falls back to the first mailbox when none is chosen; show the same one.
  const current = list.find((a) => a.id === activeId) ?? list[0]
  if (!current) return null
  const value = activeId === ALL_ACCOUNTS && list.length > 1 ? ALL_ACCOUNTS : current.id
  if (list.length === 1) {
    return (
      <p className="truncate px-3 text-xs text-slate-600" title={current.address}>
        {current.address}
      </p>
    )
  }
  return (
    <div className="flex flex-col gap-1 px-1">
      <label htmlFor="mail-account-switcher" className="text-xs font-medium text-slate-700">
        Mailbox
      </label>
      <select
        id="mail-account-switcher"
        value={value}
        onChange={(event) => setActiveAccountId(event.target.value)}
        className="rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm"
      >
        <option value={ALL_ACCOUNTS}>All inboxes</option>
        {list.map((account) => (
          <option key={account.id} value={account.id}>
            {account.address}
            {account.status === 'reauth_required' ? ' (reconnect needed)' : ''}
          </option>
        ))}
      </select>
    </div>
  )
}

function NewLabelForm() {
  const [open, setOpen] = useState(false)
  const [name, setName] = useState('')
  const create = useCreateLabel()
  const submit = (event: FormEvent) => {
    event.preventDefault()
    if (!name.trim()) return
    create.mutate(name.trim(), {
      onSuccess: () => {
        setName('')
        setOpen(false)
      },
    })
  }
  if (!open) {
    return (
      <Button variant="ghost" size="sm" className="self-start" onClick={() => setOpen(true)}>
        <span aria-hidden="true">+</span> New label
      </Button>
    )
  }
  const fieldError = create.error instanceof ApiError ? create.error.fieldMessage('name') : undefined
  return (
    <form onSubmit={submit} className="flex flex-col gap-2 px-1" aria-label="New label">
      <TextField label="Label name" value={name} onChange={(e) => setName(e.target.value)} error={fieldError} autoFocus required maxLength={225} />
      {create.error && !fieldError && <ErrorMessage error={create.error} />}
      <div className="flex gap-2">
        <Button type="submit" variant="primary" size="sm" busy={create.isPending}>
          Create label
        </Button>
        <Button
          size="sm"
          onClick={() => {
            setOpen(false)
            create.reset()
          }}
        >
          Cancel
        </Button>
      </div>
    </form>
  )
}

/** In "All inboxes": each account's labels, the system labels' unread counts added up (user labels are per account). */
function useAllAccountsUnread(enabled: boolean): Map<string, number> {
  const accounts = useQuery({ ...accountsQueryOptions(), enabled })
  const perAccount = useQueries({
    queries: (enabled ? (accounts.data ?? []) : []).filter((a) => a.status === 'active').map((a) => labelsQueryOptions(a.id)),
  })
  const sums = new Map<string, number>()
  for (const result of perAccount) {
    for (const label of result.data?.labels ?? []) sums.set(label.id, (sums.get(label.id) ?? 0) + label.messages_unread)
  }
  return sums
}

export function MailSidebar() {
  const scope = useMailScope()
  const all = scope === ALL_ACCOUNTS
  const mailbox = useMailboxStatus()
  const labels = useQuery({ ...labelsQueryOptions(all ? null : scope), enabled: mailbox === 'connected' && !all })
  const allUnread = useAllAccountsUnread(mailbox === 'connected' && all)
  const byId = new Map<string, Label>((labels.data?.labels ?? []).map((l) => [l.id, l]))
  const unreadOf = (id: string) => (all ? (allUnread.get(id) ?? 0) : (byId.get(id)?.messages_unread ?? 0))
  const mine = all ? [] : userLabels(labels.data?.labels)
  return (
    <div className="flex flex-col gap-3">
      <AccountSwitcher />
      {labels.data?.notice && (
        <p role="status" className="rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-xs text-amber-900">
          {labels.data.notice}
        </p>
      )}
      <ul aria-label="Mailboxes" className="flex flex-col gap-0.5">
        {SYSTEM_LABELS.map((l) => (
          <LabelLink key={l.id} id={l.id} name={l.name} unread={unreadOf(l.id)} />
        ))}
      </ul>
      <div className="flex flex-col gap-1">
        <p className="px-3 text-xs font-semibold uppercase tracking-wide text-slate-600">Labels</p>
        {labels.isError && <ErrorMessage error={labels.error} />}
        {all && <p className="px-3 text-xs text-slate-600">Labels belong to one mailbox: choose it above to see them.</p>}
        {mine.length > 0 && (
          <ul aria-label="Labels" className="flex flex-col gap-0.5">
            {mine.map((l) => (
              <LabelLink key={l.id} id={l.id} name={l.name} unread={l.messages_unread} />
            ))}
          </ul>
        )}
        {!all && <NewLabelForm />}
      </div>
    </div>
  )
}
