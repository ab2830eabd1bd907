// GET /integrations/webhooks/{id}/deliveries: newest first, each with every attempt.
import { queryOptions } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { QUERY_ROOTS } from '@/lib/query-keys'

export async function fetchWebhookDeliveries(id: string) {
  return unwrap(api.GET('/api/v1/integrations/webhooks/{endpoint_id}/deliveries', { params: { path: { endpoint_id: id }, query: { limit: 50 } } }))
}

export function webhookDeliveriesQueryOptions(id: string) {
  return queryOptions({ queryKey: [QUERY_ROOTS.webhooks, id, 'deliveries'], queryFn: () => fetchWebhookDeliveries(id) })
}
