// DELETE /integrations/webhooks/{id}: the endpoint, its deliveries and its secrets are gone.
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { QUERY_ROOTS } from '@/lib/query-keys'

export async function deleteWebhook(id: string) {
  return unwrap(api.DELETE('/api/v1/integrations/webhooks/{endpoint_id}', { params: { path: { endpoint_id: id } } }))
}

export function useDeleteWebhook() {
  const queryClient = useQueryClient()
  return useMutation({ mutationFn: deleteWebhook, onSettled: () => queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.webhooks] }) })
}
