// GET /integrations/webhooks/event-types: the event types an endpoint can subscribe to.
import { queryOptions } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { QUERY_ROOTS } from '@/lib/query-keys'

export async function fetchWebhookEventTypes() {
  return unwrap(api.GET('/api/v1/integrations/webhooks/event-types'))
}

export function webhookEventTypesQueryOptions() {
  return queryOptions({ queryKey: [QUERY_ROOTS.webhooks, 'event-types'], queryFn: fetchWebhookEventTypes, staleTime: Infinity })
}
