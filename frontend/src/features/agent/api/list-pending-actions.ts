// GET /agent/actions?status=pending: every action of the user's agent that waits for a decision.
import { queryOptions } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { QUERY_ROOTS } from '@/lib/query-keys'
import type { PendingAction } from '../types/agent'

export function listPendingActions(): Promise<PendingAction[]> {
  return unwrap(api.GET('/api/v1/agent/actions', { params: { query: { status: 'pending' } } }))
}

export function pendingActionsQueryOptions() {
  return queryOptions({ queryKey: [QUERY_ROOTS.agent, 'actions', 'pending'], queryFn: listPendingActions })
}
