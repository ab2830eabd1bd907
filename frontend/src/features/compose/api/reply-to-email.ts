// POST /emails/{id}/reply: answer in the thread; the server sets recipients, "Re:" subject and quotes the text part.
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import type { components } from '@/api/schema'
import { QUERY_ROOTS } from '@/lib/query-keys'

export interface ReplyInput {
  messageId: string
  body: components['schemas']['ReplyIn']
  idempotencyKey: string
  account: string | null
}

export function replyToEmail({ messageId, body, idempotencyKey, account }: ReplyInput) {
  return unwrap(
    api.POST('/api/v1/emails/{message_id}/reply', {
      params: { path: { message_id: messageId }, query: account ? { account } : {}, header: { 'Idempotency-Key': idempotencyKey } },
      body,
    }),
  )
}

export function useReplyToEmail() {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: replyToEmail,
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.emails] })
      void queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.thread] })
    },
  })
}
