// The audit log's filters: read from the URL, turned into the API's query (list and CSV export alike).
import type { AuditQuery } from '../api/audit-logs'

/** What "hide routine entries" leaves out: the actions a busy log is mostly made of. */
export const NOISE_PRESETS = {
  routine: {
    label: 'Hide routine entries (token refreshes, searches, reads)',
    exclude: ['auth.refresh', 'mail.search', 'mail.read'],
  },
  quiet: {
    label: 'Hide routine entries, draft saves and agent tool calls',
    exclude: ['auth.refresh', 'mail.search', 'mail.read', 'mail.draft_saved', 'agent.tool_call'],
  },
  all: { label: 'Show every entry', exclude: [] },
} as const satisfies Record<string, { label: string; exclude: readonly string[] }>

export type NoisePreset = keyof typeof NOISE_PRESETS
export const DEFAULT_PRESET: NoisePreset = 'routine'
export const FILTERS = ['action', 'actor', 'since', 'until', 'show'] as const
export type Filters = Record<(typeof FILTERS)[number], string>

export function isPreset(value: string): value is NoisePreset {
  return Object.hasOwn(NOISE_PRESETS, value)
}

export function readFilters(params: URLSearchParams): Filters {
  const show = params.get('show') ?? ''
  return {
    action: params.get('action') ?? '',
    actor: params.get('actor') ?? '',
    since: params.get('since') ?? '',
    until: params.get('until') ?? '',
    show: isPreset(show) ? show : DEFAULT_PRESET,
  }
}

/** The URL for these filters: the default preset and empty fields are left out, so a plain link stays plain. */
export function writeFilters(filters: Filters, offset = 0): URLSearchParams {
  const next = new URLSearchParams()
  for (const key of FILTERS) {
    const value = filters[key].trim()
    if (value && !(key === 'show' && value === DEFAULT_PRESET)) next.set(key, value)
  }
  if (offset) next.set('offset', String(offset))
  return next
}

/** A datetime-local value is the admin's local time; the API wants an instant (a time without zone means UTC). */
export function toInstant(local: string): string | null {
  if (!local) return null
  const date = new Date(local)
  return Number.isNaN(date.getTime()) ? null : date.toISOString()
}

/** The API query: an actor with an @ is an e-mail address, anything else a user id (old links carried ids). */
export function toQuery(filters: Filters): Omit<AuditQuery, 'offset' | 'limit'> {
  const query: Omit<AuditQuery, 'offset' | 'limit'> = {}
  if (filters.action) query.action = filters.action
  const actor = filters.actor.trim()
  if (actor.includes('@')) query.actor = actor
  else if (actor) query.user_id = actor
  const since = toInstant(filters.since)
  const until = toInstant(filters.until)
  if (since) query.since = since
  if (until) query.until = until
  const exclude = isPreset(filters.show) ? NOISE_PRESETS[filters.show].exclude : []
  // An action asked for by name is shown even when the preset would hide it.
  const hidden = exclude.filter((action) => action !== filters.action)
  if (hidden.length) query.exclude_action = [...hidden]
  return query
}
