// DELETE /emails/scheduled/{id}: Undo of a send still inside its undo window (409 once it has gone out).
import { api, unwrap } from '@/api/client'

export function cancelHeldSend(scheduledId: string) {
  return unwrap(api.DELETE('/api/v1/emails/scheduled/{scheduled_id}', { params: { path: { scheduled_id: scheduledId } } }))
}
