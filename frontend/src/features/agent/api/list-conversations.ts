// GET /agent/conversations: the user's conversations, most recently active first.
import { queryOptions } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { QUERY_ROOTS } from '@/lib/query-keys'
import type { Conversation } from '../types/agent'

export function listConversations(): Promise<Conversation[]> {
  return unwrap(api.GET('/api/v1/agent/conversations'))
}

export function conversationsQueryOptions() {
  return queryOptions({ queryKey: [QUERY_ROOTS.agent, 'conversations'], queryFn: listConversations })
}
