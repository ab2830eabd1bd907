// POST /integrations/slack/configure: connect Slack or change its rules (no URL or token keeps the connection).
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import type { components } from '@/api/schema'
import { QUERY_ROOTS } from '@/lib/query-keys'

export type SlackSettings = components['schemas']['SlackConfigureIn']

export async function configureSlack(body: SlackSettings) {
  return unwrap(api.POST('/api/v1/integrations/slack/configure', { body }))
}

export function useConfigureSlack() {
  const queryClient = useQueryClient()
  return useMutation({ mutationFn: configureSlack, onSuccess: () => queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.slack] }) })
}
