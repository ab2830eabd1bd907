// POST /calendar/events (create) and PUT /calendar/events/{id} (replace every field); attendees get an invitation.
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import type { components } from '@/api/schema'
import { QUERY_ROOTS } from '@/lib/query-keys'

export type EventInput = components['schemas']['EventIn']

export function saveEvent({ id, event }: { id: string | null; event: EventInput }) {
  if (id) return unwrap(api.PUT('/api/v1/calendar/events/{event_id}', { params: { path: { event_id: id } }, body: event }))
  return unwrap(api.POST('/api/v1/calendar/events', { body: event }))
}

export function useSaveEvent() {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: saveEvent,
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.calendar] }),
  })
}
