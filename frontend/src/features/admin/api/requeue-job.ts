// POST /admin/jobs/failed/{id}/requeue: run a failed job once more, now.
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { QUERY_ROOTS } from '@/lib/query-keys'

export async function requeueJob(jobId: string) {
  return unwrap(api.POST('/api/v1/admin/jobs/failed/{job_id}/requeue', { params: { path: { job_id: jobId } } }))
}

export function useRequeueJob() {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: requeueJob,
    onSettled: async () => {
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.admin, 'failed-jobs'] }),
        queryClient.invalidateQueries({ queryKey: [QUERY_ROOTS.admin, 'metrics'] }),
      ])
    },
  })
}
