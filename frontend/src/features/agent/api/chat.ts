// POST /agent/chat: say something to the agent; the answer carries its reply, tool activity and pending actions.
import { api, unwrap } from '@/api/client'
import type { AgentTurn } from '../types/agent'

export interface ChatRequest {
  message: string
  conversationId: string | null
}

export function postChat({ message, conversationId }: ChatRequest): Promise<AgentTurn> {
  return unwrap(api.POST('/api/v1/agent/chat', { body: { message, conversation_id: conversationId } }))
}
