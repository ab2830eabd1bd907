// GET /integrations/slack/configure: your Slack settings (never the URL or token); null when Slack is not connected.
import { queryOptions } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { QUERY_ROOTS } from '@/lib/query-keys'

export async function fetchSlackConfig() {
  return (await unwrap(api.GET('/api/v1/integrations/slack/configure'))) ?? null
}

export function slackConfigQueryOptions() {
  return queryOptions({ queryKey: [QUERY_ROOTS.slack], queryFn: fetchSlackConfig })
}
