// A Google account whose calendar cannot be reached until it is connected again — connected before calendar access
// was asked for (409 reauth_required, reason scope_missing) or its grant was revoked — gets a Reconnect button
// here (the consent returns to this page); any other error is shown as usual.
import { Button } from '@/components/button'
import { ErrorMessage } from '@/components/error-message'
import { ApiError } from '@/lib/api-error'
import { useReconnectGoogle } from '../api/reconnect-google'

export function CalendarErrorOrReconnect({ error, returnTo, className = '' }: { error: unknown; returnTo: string; className?: string }) {
  const reconnect = useReconnectGoogle()
  if (!(error instanceof ApiError) || error.code !== 'reauth_required') return <ErrorMessage error={error} className={className} />
  const scopeMissing = error.details.some((d) => d.reason === 'scope_missing')
  return (
    <section aria-labelledby="reconnect-title" className={`rounded-md border border-amber-300 bg-amber-50 px-4 py-3 text-sm text-amber-950 ${className}`}>
      <h2 id="reconnect-title" className="font-semibold">
        {scopeMissing ? 'Reconnect to allow calendar access' : 'Reconnect your Google account'}
      </h2>
      <p className="mt-1">{error.message}</p>
      <Button className="mt-3" size="sm" variant="primary" busy={reconnect.isPending} disabled={reconnect.isPending} onClick={() => reconnect.mutate(returnTo)}>
        Reconnect Google account
      </Button>
      {reconnect.isError && <ErrorMessage error={reconnect.error} className="mt-2" />}
    </section>
  )
}
