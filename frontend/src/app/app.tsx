// The app: server-state cache, router, toasts; the session is restored from the refresh cookie on load.
import { QueryClientProvider } from '@tanstack/react-query'
import { useEffect, useState } from 'react'
import { RouterProvider } from 'react-router'
import { Toaster } from 'sonner'
import { restoreSession } from '@/lib/auth-session'
import { createQueryClient } from './query-client'
import { router } from './router'

export function App() {
  const [queryClient] = useState(createQueryClient)
  useEffect(() => {
    void restoreSession()
  }, [])
  return (
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
      <Toaster position="bottom-right" closeButton />
    </QueryClientProvider>
  )
}
