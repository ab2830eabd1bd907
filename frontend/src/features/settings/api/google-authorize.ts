// GET /mail/accounts/google/authorize: the Google consent URL; the browser goes there and comes back to return_to.
import { useMutation } from '@tanstack/react-query'
import { api, unwrap } from '@/api/client'

export async function googleAuthorizeUrl(returnTo: string): Promise<string> {
  const { url } = await unwrap(api.GET('/api/v1/mail/accounts/google/authorize', { params: { query: { return_to: returnTo } } }))
  return url
}

export function useConnectGoogle() {
  return useMutation({
    mutationFn: googleAuthorizeUrl,
    onSuccess: (url) => window.location.assign(url),
  })
}
