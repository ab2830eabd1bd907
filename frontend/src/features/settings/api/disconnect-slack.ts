// DELETE /integrations/slack/configure: disconnect Slack and delete the stored URL or token.
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { QUERY_ROOTS } from '@/lib/query-keys'

export async function disconnectSlack() {
  return unwrap(api.DELETE('/api/v1/integrations/slack/configure'))
}

export function useDisconnectSlack() {
  const queryClient = useQueryClient()
  return useMutation({ mutationFn: disconnectSlack, onSettled: () => queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.slack] }) })
}
