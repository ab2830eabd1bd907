// GET /labels: system and user labels with counts; meta.degraded/notice say the counts are the last known ones.
import { queryOptions } from '@tanstack/react-query'
import { api, unwrapWithMeta } from '@/api/client'
import { QUERY_ROOTS } from '@/lib/query-keys'
import type { Label } from '../types/labels'

export interface LabelsResult {
  labels: Label[]
  notice: string | null
}

export async function listLabels(accountId: string | null, signal?: AbortSignal): Promise<LabelsResult> {
  const { data, meta } = await unwrapWithMeta(
    api.GET('/api/v1/labels', { params: { query: { account: accountId ?? undefined } }, signal }),
  )
  const notice = meta.degraded ? (meta.notice ?? 'Gmail is not answering; these counts may be out of date.') : (meta.notice ?? null)
  return { labels: data, notice }
}

export function labelsQueryOptions(accountId: string | null) {
  return queryOptions({ queryKey: [QUERY_ROOTS.labels, accountId], queryFn: ({ signal }) => listLabels(accountId, signal) })
}
