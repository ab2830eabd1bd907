// POST /integrations/slack/test: post a test message now.
import { useMutation } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'

export async function testSlack() {
  return unwrap(api.POST('/api/v1/integrations/slack/test'))
}

export function useTestSlack() {
  return useMutation({ mutationFn: testSlack })
}
