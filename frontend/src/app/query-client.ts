// Server-state cache defaults: no retry on client errors (they will not change), a short retry on outages.
import { QueryClient } from '@tanstack/react-query'
import { ApiError } from '@/lib/api-error'

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 30_000,
        refetchOnWindowFocus: false,
        retry: (count, error) => !(error instanceof ApiError && error.status >= 400 && error.status < 500) && count < 2,
      },
      mutations: { retry: false },
    },
  })
}
