// POST /integrations/webhooks: register an endpoint; the answer holds its signing secret, the only time it is shown.
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import type { components } from '@/api/schema'
import { QUERY_ROOTS } from '@/lib/query-keys'

export type NewWebhook = components['schemas']['WebhookIn']

export async function createWebhook(body: NewWebhook) {
  return unwrap(api.POST('/api/v1/integrations/webhooks', { body }))
}

export function useCreateWebhook() {
  const queryClient = useQueryClient()
  return useMutation({ mutationFn: createWebhook, onSuccess: () => queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.webhooks] }) })
}
