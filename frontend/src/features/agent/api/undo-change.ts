// POST /agent/changes/{id}/undo: reverse one change the agent made on its own (labels, read state, archive, a draft).
import { api, unwrap } from '@/api/client'
import type { AgentChange } from '../types/agent'

export function undoChange(changeId: string): Promise<AgentChange> {
  return unwrap(api.POST('/api/v1/agent/changes/{change_id}/undo', { params: { path: { change_id: changeId } } }))
}
