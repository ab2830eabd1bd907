// POST /calendar/events/{id}/respond: accept, maybe or decline an invitation; the organizer is told.
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import type { components } from '@/api/schema'
import { QUERY_ROOTS } from '@/lib/query-keys'

export type Answer = components['schemas']['RespondIn']['response']

export function respondToEvent({ id, response }: { id: string; response: Answer }) {
  return unwrap(api.POST('/api/v1/calendar/events/{event_id}/respond', { params: { path: { event_id: id } }, body: { response } }))
}

export function useRespondToEvent() {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: respondToEvent,
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.calendar] }),
  })
}
