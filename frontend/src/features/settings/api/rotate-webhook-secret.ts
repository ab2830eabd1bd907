// POST /integrations/webhooks/{id}/rotate-secret: a new secret (shown once); the old one also signs for 24 hours.
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { QUERY_ROOTS } from '@/lib/query-keys'

export async function rotateWebhookSecret(id: string) {
  return unwrap(api.POST('/api/v1/integrations/webhooks/{endpoint_id}/rotate-secret', { params: { path: { endpoint_id: id } } }))
}

export function useRotateWebhookSecret() {
  const queryClient = useQueryClient()
  return useMutation({ mutationFn: rotateWebhookSecret, onSuccess: () => queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.webhooks] }) })
}
