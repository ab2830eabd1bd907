// POST /auth/me/image-senders and DELETE /auth/me/image-senders/{address}: the senders whose remote images are
// always shown; the session's user follows at once.
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'
import { updateUser } from '@/lib/auth-session'
import { QUERY_ROOTS } from '@/lib/query-keys'

export async function allowSenderImages(address: string) {
  return unwrap(api.POST('/api/v1/auth/me/image-senders', { body: { address } }))
}

export async function disallowSenderImages(address: string) {
  return unwrap(api.DELETE('/api/v1/auth/me/image-senders/{address}', { params: { path: { address } } }))
}

function useImageSenderChange(change: (address: string) => ReturnType<typeof allowSenderImages>) {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: change,
    onSuccess: (me) => {
      updateUser(me)
      queryClient.setQueryData([QUERY_ROOTS.me], me)
    },
  })
}

export const useAllowSenderImages = () => useImageSenderChange(allowSenderImages)
export const useDisallowSenderImages = () => useImageSenderChange(disallowSenderImages)
