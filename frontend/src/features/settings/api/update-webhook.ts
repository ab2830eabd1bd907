// PATCH /integrations/webhooks/{id}: change the URL, events or description, or enable/disable the endpoint.
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import type { components } from '@/api/schema'
import { QUERY_ROOTS } from '@/lib/query-keys'

export type WebhookPatch = components['schemas']['WebhookPatch']

export async function updateWebhook({ id, patch }: { id: string; patch: WebhookPatch }) {
  return unwrap(api.PATCH('/api/v1/integrations/webhooks/{endpoint_id}', { params: { path: { endpoint_id: id } }, body: patch }))
}

export function useUpdateWebhook() {
  const queryClient = useQueryClient()
  return useMutation({ mutationFn: updateWebhook, onSettled: () => queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.webhooks] }) })
}
