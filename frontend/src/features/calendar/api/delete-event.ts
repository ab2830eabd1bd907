// DELETE /calendar/events/{id}: cancel an event (or one instance of a recurring one); guests are told.
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { QUERY_ROOTS } from '@/lib/query-keys'

export function deleteEvent(id: string) {
  return unwrap(api.DELETE('/api/v1/calendar/events/{event_id}', { params: { path: { event_id: id } } }))
}

export function useDeleteEvent() {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: deleteEvent,
    onSettled: () => void queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.calendar] }),
  })
}
