// POST /agent/actions/{id}/approve: run the action (or the edited payload) once; the agent then answers.
import { api, unwrap } from '@/api/client'
import type { Decision } from '../types/agent'

export function approveAction(actionId: string, payload?: Record<string, unknown>): Promise<Decision> {
  return unwrap(
    api.POST('/api/v1/agent/actions/{action_id}/approve', {
      params: { path: { action_id: actionId } },
      body: payload ? { payload } : {},
    }),
  )
}
