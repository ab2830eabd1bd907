// PATCH /emails/scheduled/{id}: move a waiting email to another wall time and zone.
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { QUERY_ROOTS } from '@/lib/query-keys'

export interface RescheduleInput {
  scheduledId: string
  sendAt: string
  timeZone: string
}

export function rescheduleScheduled({ scheduledId, sendAt, timeZone }: RescheduleInput) {
  return unwrap(
    api.PATCH('/api/v1/emails/scheduled/{scheduled_id}', {
      params: { path: { scheduled_id: scheduledId } },
      body: { send_at: sendAt, timezone: timeZone },
    }),
  )
}

export function useRescheduleScheduled() {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: rescheduleScheduled,
    onSettled: () => void queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.scheduled] }),
  })
}
