// POST /agent/actions/{id}/edit: the edited arguments (or none: the draft's new version) become a new snapshot that
// waits for approval like the first; nothing runs.
import { api, unwrap } from '@/api/client'
import type { PendingAction } from '../types/agent'

export function editAction(actionId: string, payload?: Record<string, unknown>): Promise<PendingAction> {
  return unwrap(
    api.POST('/api/v1/agent/actions/{action_id}/edit', {
      params: { path: { action_id: actionId } },
      body: payload ? { payload } : {},
    }),
  )
}
