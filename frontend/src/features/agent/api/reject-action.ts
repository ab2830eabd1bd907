// POST /agent/actions/{id}/reject: nothing runs; the agent is told and answers.
import { api, unwrap } from '@/api/client'
import type { Decision } from '../types/agent'

export function rejectAction(actionId: string): Promise<Decision> {
  return unwrap(api.POST('/api/v1/agent/actions/{action_id}/reject', { params: { path: { action_id: actionId } } }))
}
