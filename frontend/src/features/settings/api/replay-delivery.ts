// POST /integrations/webhooks/deliveries/{id}/replay: send a finished delivery again (same body, same webhook-id).
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { QUERY_ROOTS } from '@/lib/query-keys'

export async function replayDelivery(id: string) {
  return unwrap(api.POST('/api/v1/integrations/webhooks/deliveries/{delivery_id}/replay', { params: { path: { delivery_id: id } } }))
}

export function useReplayDelivery() {
  const queryClient = useQueryClient()
  return useMutation({ mutationFn: replayDelivery, onSettled: () => queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.webhooks] }) })
}
