// POST /agent/actions/{id}/approve: run exactly the snapshot the card showed (its hash), once; the agent then answers.
import { api, unwrap } from '@/api/client'
import type { Decision } from '../types/agent'

export function approveAction(actionId: string, snapshotHash: string | null): Promise<Decision> {
  return unwrap(
    api.POST('/api/v1/agent/actions/{action_id}/approve', {
      params: { path: { action_id: actionId } },
      body: snapshotHash ? { snapshot_hash: snapshotHash } : {},
    }),
  )
}
