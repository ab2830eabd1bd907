// POST /emails/send: send a new message now; the Idempotency-Key makes a repeated click or retry send once.
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import type { components } from '@/api/schema'
import { QUERY_ROOTS } from '@/lib/query-keys'

export type ComposeBody = components['schemas']['ComposeIn']

export interface SendEmailInput {
  body: ComposeBody
  idempotencyKey: string
  account: string | null
}

export function sendEmail({ body, idempotencyKey, account }: SendEmailInput) {
  return unwrap(
    api.POST('/api/v1/emails/send', {
      params: { query: account ? { account } : {}, header: { 'Idempotency-Key': idempotencyKey } },
      body,
    }),
  )
}

export function useSendEmail() {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: sendEmail,
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.emails] }),
  })
}
