// Audit log: filter by action, actor and time range (kept in the URL), page through entries, expand details.
import { useQuery } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { useSearchParams } from 'react-router'
import { Button } from '@/components/button'
import { EmptyState } from '@/components/empty-state'
import { ErrorMessage } from '@/components/error-message'
import { fullDate } from '@/components/format-date'
import { Loading } from '@/components/loading'
import { TextField } from '@/components/text-field'
import { auditLogsQueryOptions, type AuditQuery } from '../api/audit-logs'
import { AUDIT_ACTIONS } from '../types/audit-actions'
import { Pager } from './pager'

const PAGE_SIZE = 50
const FILTERS = ['action', 'actor', 'since', 'until'] as const
type Filters = Record<(typeof FILTERS)[number], string>

/** A datetime-local value is the admin's local time; the API wants an instant (a time without zone means UTC). */
function toInstant(local: string): string | null {
  if (!local) return null
  const date = new Date(local)
  return Number.isNaN(date.getTime()) ? null : date.toISOString()
}

function readFilters(params: URLSearchParams): Filters {
  return { action: params.get('action') ?? '', actor: params.get('actor') ?? '', since: params.get('since') ?? '', until: params.get('until') ?? '' }
}

export function AuditPage() {
  const [params, setParams] = useSearchParams()
  const applied = readFilters(params)
  const offset = Math.max(0, Number(params.get('offset')) || 0)
  const [draft, setDraft] = useState<Filters>(applied)

  const query: AuditQuery = { offset, limit: PAGE_SIZE }
  if (applied.action) query.action = applied.action
  if (applied.actor) query.user_id = applied.actor
  const since = toInstant(applied.since)
  const until = toInstant(applied.until)
  if (since) query.since = since
  if (until) query.until = until
  const logs = useQuery(auditLogsQueryOptions(query))

  const apply = (filters: Filters, nextOffset = 0) => {
    const next = new URLSearchParams()
    for (const key of FILTERS) if (filters[key].trim()) next.set(key, filters[key].trim())
    if (nextOffset) next.set('offset', String(nextOffset))
    setParams(next)
  }
  const submit = (event: FormEvent) => {
    event.preventDefault()
    apply(draft)
  }
  const clear = () => {
    const empty = { action: '', actor: '', since: '', until: '' }
    setDraft(empty)
    apply(empty)
  }
  const field = (key: keyof Filters) => ({ value: draft[key], onChange: (e: React.ChangeEvent<HTMLInputElement>) => setDraft({ ...draft, [key]: e.target.value }) })

  return (
    <section aria-labelledby="admin-audit-heading" className="flex flex-col gap-3">
      <h2 id="admin-audit-heading" className="text-base font-semibold text-slate-900">
        Audit log
      </h2>
      <form onSubmit={submit} aria-label="Audit log filters" className="flex flex-wrap items-end gap-3 rounded-md border border-slate-200 bg-white p-3">
        <TextField label="Action" list="audit-actions" placeholder="e.g. auth.login_success" className="w-56" {...field('action')} />
        <datalist id="audit-actions">
          {AUDIT_ACTIONS.map((action) => (
            <option key={action} value={action} />
          ))}
        </datalist>
        <TextField label="Actor user id" className="w-64" {...field('actor')} />
        <TextField label="From" type="datetime-local" {...field('since')} />
        <TextField label="Until" type="datetime-local" {...field('until')} />
        <div className="flex gap-2">
          <Button type="submit" variant="primary">
            Apply filters
          </Button>
          <Button onClick={clear}>Clear filters</Button>
        </div>
      </form>
      {logs.isPending ? (
        <Loading label="Loading audit log…" />
      ) : logs.isError ? (
        <ErrorMessage error={logs.error} />
      ) : logs.data.data.length === 0 ? (
        <EmptyState title="No audit entries match these filters" />
      ) : (
        <>
          {/* Focusable so keyboard users can scroll a wide table sideways. */}
          <div className="relative overflow-x-auto rounded-md border border-slate-200 bg-white" tabIndex={0} role="region" aria-label="Audit log table">
            <table className="w-full text-left text-sm">
              <caption className="sr-only">Audit log entries, newest first</caption>
              <thead className="bg-slate-50 text-xs uppercase text-slate-700">
                <tr>
                  <th scope="col" className="px-3 py-2">Time</th>
                  <th scope="col" className="px-3 py-2">Action</th>
                  <th scope="col" className="px-3 py-2">Actor</th>
                  <th scope="col" className="px-3 py-2">Target</th>
                  <th scope="col" className="px-3 py-2">IP</th>
                  <th scope="col" className="px-3 py-2">Request id</th>
                  <th scope="col" className="px-3 py-2">Details</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100 align-top">
                {logs.data.data.map((entry) => (
                  <tr key={entry.id}>
                    <td className="px-3 py-2 whitespace-nowrap">{fullDate(entry.occurred_at)}</td>
                    <td className="px-3 py-2 font-mono text-xs">{entry.action}</td>
                    <td className="px-3 py-2 font-mono text-xs">{entry.actor_id ?? '—'}</td>
                    <td className="px-3 py-2 font-mono text-xs">{entry.target ?? '—'}</td>
                    <td className="px-3 py-2 font-mono text-xs">{entry.ip ?? '—'}</td>
                    <td className="px-3 py-2 font-mono text-xs">{entry.request_id ?? '—'}</td>
                    <td className="px-3 py-2">
                      {Object.keys(entry.details).length === 0 ? (
                        <span className="text-slate-600">—</span>
                      ) : (
                        <details>
                          <summary className="cursor-pointer text-brand-700">
                            Details<span className="sr-only"> of {entry.action} at {fullDate(entry.occurred_at)}</span>
                          </summary>
                          <pre className="mt-1 max-w-md overflow-x-auto rounded bg-slate-100 p-2 text-xs text-slate-900">
                            {JSON.stringify(entry.details, null, 2)}
                          </pre>
                        </details>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager
            label="Audit log pages"
            offset={offset}
            limit={PAGE_SIZE}
            shown={logs.data.data.length}
            total={logs.data.meta.total}
            onChange={(nextOffset) => apply(applied, nextOffset)}
          />
        </>
      )}
    </section>
  )
}
