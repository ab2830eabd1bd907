// GET /integrations/webhooks: your webhook endpoints, oldest first (never their secrets).
import { queryOptions } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { QUERY_ROOTS } from '@/lib/query-keys'

export async function fetchWebhooks() {
  return unwrap(api.GET('/api/v1/integrations/webhooks'))
}

export function webhooksQueryOptions() {
  return queryOptions({ queryKey: [QUERY_ROOTS.webhooks], queryFn: fetchWebhooks })
}
