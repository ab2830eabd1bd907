// GET /emails/scheduled[?status=]: scheduled emails by send time, a page at a time (meta.total counts all matches).
import { infiniteQueryOptions } from '@tanstack/react-query'
import { api, unwrapWithMeta } from '@/api/client'
import type { components } from '@/api/schema'
import { QUERY_ROOTS } from '@/lib/query-keys'

export type ScheduledStatus = components['schemas']['ScheduledStatus']

const PAGE_SIZE = 50

export function listScheduled(statuses: ScheduledStatus[], offset: number) {
  const query = { offset, limit: PAGE_SIZE, ...(statuses.length ? { status: statuses } : {}) }
  return unwrapWithMeta(api.GET('/api/v1/emails/scheduled', { params: { query } }))
}

export function scheduledQueryOptions(statuses: ScheduledStatus[]) {
  return infiniteQueryOptions({
    queryKey: [QUERY_ROOTS.scheduled, 'list', statuses],
    queryFn: ({ pageParam }) => listScheduled(statuses, pageParam),
    initialPageParam: 0,
    getNextPageParam: (last, pages) => {
      const loaded = pages.reduce((sum, page) => sum + page.data.length, 0)
      return last.data.length > 0 && loaded < (last.meta.total ?? 0) ? loaded : undefined
    },
  })
}
