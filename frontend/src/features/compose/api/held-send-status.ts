// GET /emails/scheduled/{id}: how a held send stands, for the notice that says when it has really gone out.
import { api, unwrap } from '@/api/client'
import type { HeldOutcome } from '@/lib/undo-send'

export async function heldSendOutcome(scheduledId: string): Promise<HeldOutcome | null> {
  const held = await unwrap(api.GET('/api/v1/emails/scheduled/{scheduled_id}', { params: { path: { scheduled_id: scheduledId } } }))
  switch (held.status) {
    case 'sent':
      return { status: 'sent' }
    case 'failed':
      return { status: 'failed', error: held.error ?? null }
    case 'cancelled':
      return { status: 'cancelled' }
    default:
      return null // still to go, or going
  }
}
