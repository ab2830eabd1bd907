// Audit log: actors by name and e-mail, filters (kept in the URL) with presets that hide routine entries, pages,
// details on demand, and a CSV export of exactly what the filters select.
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
import { useExportAuditLogs } from '../api/export-audit-logs'
import { DEFAULT_PRESET, NOISE_PRESETS, readFilters, toQuery, writeFilters, type Filters } from '../lib/audit-filters'
import { AUDIT_ACTIONS } from '../types/audit-actions'
import { Pager } from './pager'

const PAGE_SIZE = 50
const EMPTY: Filters = { action: '', actor: '', since: '', until: '', show: DEFAULT_PRESET }

export function AuditPage() {
  const [params, setParams] = useSearchParams()
  const applied = readFilters(params)
  const offset = Math.max(0, Number(params.get('offset')) || 0)
  const [draft, setDraft] = useState<Filters>(applied)
  const exporter = useExportAuditLogs()

  const filterQuery = toQuery(applied)
  const query: AuditQuery = { ...filterQuery, offset, limit: PAGE_SIZE }
  const logs = useQuery(auditLogsQueryOptions(query))

  const apply = (filters: Filters, nextOffset = 0) => setParams(writeFilters(filters, nextOffset))
  const submit = (event: FormEvent) => {
    event.preventDefault()
    apply(draft)
  }
  const clear = () => {
    setDraft(EMPTY)
    apply(EMPTY)
  }
  const field = (key: keyof Filters) => ({ value: draft[key], onChange: (e: React.ChangeEvent<HTMLInputElement>) => setDraft({ ...draft, [key]: e.target.value }) })

  return (
    <section aria-labelledby="admin-audit-heading" className="flex min-w-0 flex-col gap-3">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h2 id="admin-audit-heading" className="text-base font-semibold text-slate-900">
          Audit log
        </h2>
        <div className="flex items-center gap-2">
          {exporter.isSuccess && <span role="status" className="text-sm text-slate-700">Saved {exporter.data}</span>}
          <Button onClick={() => exporter.mutate(filterQuery)} disabled={exporter.isPending}>
            {exporter.isPending ? 'Exporting…' : 'Export CSV'}
          </Button>
        </div>
      </div>
      {exporter.isError && <ErrorMessage error={exporter.error} />}
      <form onSubmit={submit} aria-label="Audit log filters" className="flex flex-wrap items-end gap-3 rounded-md border border-slate-200 bg-white p-3">
        <TextField label="Action" list="audit-actions" placeholder="e.g. auth.login_success" className="w-56" {...field('action')} />
        <datalist id="audit-actions">
          {AUDIT_ACTIONS.map((action) => (
            <option key={action} value={action} />
          ))}
        </datalist>
        <TextField label="Actor e-mail" type="text" inputMode="email" placeholder="name@example.com" className="w-64" {...field('actor')} />
        <TextField label="From" type="datetime-local" {...field('since')} />
        <TextField label="Until" type="datetime-local" {...field('until')} />
        <div className="flex flex-col gap-1">
          <label htmlFor="audit-show" className="text-sm font-medium text-slate-700">
            Show
          </label>
          <select
            id="audit-show"
            value={draft.show}
            onChange={(e) => setDraft({ ...draft, show: e.target.value })}
            className="rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm"
          >
            {Object.entries(NOISE_PRESETS).map(([key, preset]) => (
              <option key={key} value={key}>
                {preset.label}
              </option>
            ))}
          </select>
        </div>
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
          {/* Fixed columns that wrap long values, so the table fits the window; focusable for keyboard scrolling
              on a phone, where it may still be wider than the screen. */}
          <div className="relative overflow-x-auto rounded-md border border-slate-200 bg-white" tabIndex={0} role="region" aria-label="Audit log table">
            <table className="w-full min-w-[56rem] table-fixed text-left text-sm">
              <caption className="sr-only">Audit log entries, newest first</caption>
              <colgroup>
                <col className="w-44" />
                <col className="w-48" />
                <col className="w-64" />
                <col className="w-48" />
                <col className="w-32" />
                <col />
              </colgroup>
              <thead className="bg-slate-50 text-xs uppercase text-slate-700">
                <tr>
                  <th scope="col" className="px-3 py-2">Time</th>
                  <th scope="col" className="px-3 py-2">Action</th>
                  <th scope="col" className="px-3 py-2">Actor</th>
                  <th scope="col" className="px-3 py-2">Target</th>
                  <th scope="col" className="px-3 py-2">IP</th>
                  <th scope="col" className="px-3 py-2">Details</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100 align-top">
                {logs.data.data.map((entry) => (
                  <tr key={entry.id}>
                    <td className="px-3 py-2">{fullDate(entry.occurred_at)}</td>
                    <td className="px-3 py-2 font-mono text-xs break-all">{entry.action}</td>
                    <td className="px-3 py-2 break-words">
                      {entry.actor_email ? (
                        <>
                          {entry.actor_name && <div className="font-medium text-slate-900">{entry.actor_name}</div>}
                          <div className={entry.actor_name ? 'text-xs text-slate-700' : ''}>{entry.actor_email}</div>
                        </>
                      ) : entry.actor_id ? (
                        <span className="font-mono text-xs break-all" title="No user has this id any more">
                          {entry.actor_id}
                        </span>
                      ) : (
                        <span className="text-slate-600">—</span>
                      )}
                    </td>
                    <td className="px-3 py-2 font-mono text-xs break-all">{entry.target ?? '—'}</td>
                    <td className="px-3 py-2 font-mono text-xs break-all">{entry.ip ?? '—'}</td>
                    <td className="px-3 py-2">
                      <details>
                        <summary className="cursor-pointer text-brand-700">
                          Details<span className="sr-only"> of {entry.action} at {fullDate(entry.occurred_at)}</span>
                        </summary>
                        <dl className="mt-1 grid grid-cols-[auto_1fr] gap-x-2 text-xs text-slate-800">
                          <dt className="text-slate-600">Request</dt>
                          <dd className="font-mono break-all">{entry.request_id ?? '—'}</dd>
                          <dt className="text-slate-600">Browser</dt>
                          <dd className="break-all">{entry.user_agent || '—'}</dd>
                        </dl>
                        {Object.keys(entry.details).length > 0 && (
                          <pre className="mt-1 overflow-x-auto whitespace-pre-wrap break-all rounded bg-slate-100 p-2 text-xs text-slate-900">
                            {JSON.stringify(entry.details, null, 2)}
                          </pre>
                        )}
                      </details>
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
