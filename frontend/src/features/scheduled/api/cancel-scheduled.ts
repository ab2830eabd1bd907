// DELETE /emails/scheduled/{id}: cancel while it is still waiting (409 with the reason once it is not).
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { QUERY_ROOTS } from '@/lib/query-keys'

export function cancelScheduled(scheduledId: string) {
  return unwrap(api.DELETE('/api/v1/emails/scheduled/{scheduled_id}', { params: { path: { scheduled_id: scheduledId } } }))
}

export function useCancelScheduled() {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: cancelScheduled,
    // A 409 means the list is out of date too (it was sent or cancelled meanwhile): refresh either way.
    onSettled: () => void queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.scheduled] }),
  })
}
