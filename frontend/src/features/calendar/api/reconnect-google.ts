// GET /mail/accounts/google/authorize: reconnecting a Google account asks again for every scope (calendar and
// contacts included, with the ones already granted kept); the browser comes back to the page it left.
import { useMutation } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'

export function useReconnectGoogle() {
  return useMutation({
    mutationFn: async (returnTo: string) => {
      const { url } = await unwrap(api.GET('/api/v1/mail/accounts/google/authorize', { params: { query: { return_to: returnTo } } }))
      return url
    },
    onSuccess: (url) => window.location.assign(url),
  })
}
