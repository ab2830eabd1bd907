// POST /integrations/webhooks/{id}/test: a signed webhook.test event now; the answer is the first attempt.
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { QUERY_ROOTS } from '@/lib/query-keys'

export async function testWebhook(id: string) {
  return unwrap(api.POST('/api/v1/integrations/webhooks/{endpoint_id}/test', { params: { path: { endpoint_id: id } } }))
}

export function useTestWebhook() {
  const queryClient = useQueryClient()
  return useMutation({ mutationFn: testWebhook, onSettled: () => queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.webhooks] }) })
}
