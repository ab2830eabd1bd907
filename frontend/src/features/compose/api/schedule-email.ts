// POST /emails/schedule: send this message later, at a wall time in an IANA zone.
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import type { components } from '@/api/schema'
import { QUERY_ROOTS } from '@/lib/query-keys'

export function scheduleEmail({ body, account }: { body: components['schemas']['ScheduleIn']; account: string | null }) {
  return unwrap(api.POST('/api/v1/emails/schedule', { params: { query: account ? { account } : {} }, body }))
}

export function useScheduleEmail() {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: scheduleEmail,
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.scheduled] }),
  })
}
