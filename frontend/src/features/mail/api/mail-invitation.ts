// GET /calendar/invitations/{message_id} (the invitation in a mail's text/calendar part) and its answer
// (POST …/respond: the event goes on the calendar with the answer, and the organizer is told).
import { queryOptions, useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import type { components } from '@/api/schema'
import { QUERY_ROOTS } from '@/lib/query-keys'

export type MailInvitation = components['schemas']['MailInvitationOut']
export type InvitationAnswer = components['schemas']['RespondIn']['response']

export function mailInvitationQueryOptions(messageId: string) {
  return queryOptions({
    queryKey: [QUERY_ROOTS.calendar, 'invitation', messageId],
    queryFn: () => unwrap(api.GET('/api/v1/calendar/invitations/{message_id}', { params: { path: { message_id: messageId } } })),
    retry: false,
  })
}

export function useAnswerInvitation(messageId: string) {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: (response: InvitationAnswer) =>
      unwrap(api.POST('/api/v1/calendar/invitations/{message_id}/respond', { params: { path: { message_id: messageId } }, body: { response } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.calendar] }),
  })
}
