// GET /agent/conversations/{id}: one conversation's history and the actions the agent proposed in it.
import { queryOptions } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { QUERY_ROOTS } from '@/lib/query-keys'
import type { ConversationDetail } from '../types/agent'

export function getConversation(conversationId: string): Promise<ConversationDetail> {
  return unwrap(api.GET('/api/v1/agent/conversations/{conversation_id}', { params: { path: { conversation_id: conversationId } } }))
}

export function conversationQueryOptions(conversationId: string) {
  return queryOptions({
    queryKey: [QUERY_ROOTS.agent, 'conversation', conversationId],
    queryFn: () => getConversation(conversationId),
  })
}
