// POST /emails/{id}/forward: send a message on; the server adds "Fwd:" and the forwarded block.
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import type { components } from '@/api/schema'
import { QUERY_ROOTS } from '@/lib/query-keys'

export interface ForwardInput {
  messageId: string
  body: components['schemas']['ForwardIn']
  idempotencyKey: string
  account: string | null
}

export function forwardEmail({ messageId, body, idempotencyKey, account }: ForwardInput) {
  return unwrap(
    api.POST('/api/v1/emails/{message_id}/forward', {
      params: { path: { message_id: messageId }, query: account ? { account } : {}, header: { 'Idempotency-Key': idempotencyKey } },
      body,
    }),
  )
}

export function useForwardEmail() {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: forwardEmail,
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.emails] }),
  })
}
