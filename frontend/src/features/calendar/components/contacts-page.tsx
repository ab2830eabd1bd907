// /contacts: search the address book by name, address or organisation.
import { useQuery } from '@tanstack/react-query'
import { useDeferredValue, useState } from 'react'
import { EmptyState } from '@/components/empty-state'
import { Loading } from '@/components/loading'
import { PageHeader } from '@/components/page-header'
import { TextField } from '@/components/text-field'
import { contactSearchQueryOptions } from '../api/search-contacts'
import { CalendarErrorOrReconnect } from './reconnect-prompt'

function initials(name: string, email: string): string {
  const words = (name || email).split(/[\s@.]+/).filter(Boolean)
  return words.slice(0, 2).map((w) => w[0]?.toUpperCase() ?? '').join('')
}

export function ContactsPage() {
  const [q, setQ] = useState('')
  const deferred = useDeferredValue(q)
  const found = useQuery(contactSearchQueryOptions(deferred, 100))
  let content
  if (found.isPending) content = <Loading label="Searching contacts…" />
  else if (found.isError) content = <CalendarErrorOrReconnect error={found.error} returnTo="/contacts" className="m-4" />
  else if (found.data.length === 0) content = <EmptyState title="Nobody matches.">Try part of a name, an address or a company.</EmptyState>
  else
    content = (
      <ul aria-label="Contacts" className="divide-y divide-slate-200">
        {found.data.map((c) => (
          <li key={c.id} className="flex items-center gap-3 px-4 py-3">
            {c.photo_url ? (
              <img src={c.photo_url} alt="" className="h-9 w-9 rounded-full" />
            ) : (
              <span aria-hidden="true" className="flex h-9 w-9 items-center justify-center rounded-full bg-slate-200 text-sm font-semibold text-slate-700">
                {initials(c.name, c.emails[0] ?? '')}
              </span>
            )}
            <div className="min-w-0 flex-1">
              <p className="font-medium text-slate-900">
                {c.name || c.emails[0]}
                {c.other && <span className="ml-2 text-xs font-normal text-slate-600">(from your mail)</span>}
              </p>
              <p className="truncate text-sm text-slate-700">{c.emails.join(', ')}</p>
              {(c.organisation || c.title) && <p className="text-sm text-slate-600">{[c.title, c.organisation].filter(Boolean).join(', ')}</p>}
            </div>
          </li>
        ))}
      </ul>
    )
  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <PageHeader title="Contacts" />
      <div className="border-b border-slate-200 bg-white p-4">
        <TextField label="Search contacts" type="search" value={q} placeholder="Name, address or company" onChange={(e) => setQ(e.target.value)} />
      </div>
      <div className="min-h-0 flex-1 overflow-y-auto bg-white">{content}</div>
    </div>
  )
}
