// GET /integrations/slack/summary/preview: the summary that would be posted now (nothing is sent).
import { queryOptions } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { QUERY_ROOTS } from '@/lib/query-keys'

export async function fetchSlackSummaryPreview() {
  return unwrap(api.GET('/api/v1/integrations/slack/summary/preview'))
}

export function slackSummaryPreviewQueryOptions() {
  return queryOptions({ queryKey: [QUERY_ROOTS.slack, 'preview'], queryFn: fetchSlackSummaryPreview, enabled: false })
}
