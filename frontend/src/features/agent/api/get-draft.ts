// GET /emails/draft/{id}: the draft a pending "send the draft" action would send, so the card can show it.
import { queryOptions } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { QUERY_ROOTS } from '@/lib/query-keys'
import type { Draft } from '../types/agent'

export function getDraft(draftId: string, accountId: string | null): Promise<Draft> {
  return unwrap(
    api.GET('/api/v1/emails/draft/{draft_id}', {
      params: { path: { draft_id: draftId }, query: accountId ? { account: accountId } : {} },
    }),
  )
}

export function draftQueryOptions(draftId: string, accountId: string | null) {
  return queryOptions({
    queryKey: [QUERY_ROOTS.agent, 'draft', draftId, accountId],
    queryFn: () => getDraft(draftId, accountId),
  })
}
