// The calendar or address book of a Google account connected before calendar access was asked for: say so and
// offer to reconnect (the API answers 409 reauth_required with reason scope_missing); any other error as usual.
import { Button } from '@/components/button'
import { ErrorMessage } from '@/components/error-message'
import { ApiError } from '@/lib/api-error'
import { useReconnectGoogle } from '../api/reconnect-google'

function needsCalendarAccess(error: unknown): boolean {
  return error instanceof ApiError && error.code === 'reauth_required' && error.details.some((d) => d.reason === 'scope_missing')
}

export function CalendarErrorOrReconnect({ error, returnTo, className = '' }: { error: unknown; returnTo: string; className?: string }) {
  const reconnect = useReconnectGoogle()
  if (!needsCalendarAccess(error)) return <ErrorMessage error={error} className={className} />
  return (
    <section aria-labelledby="reconnect-title" className={`rounded-md border border-amber-300 bg-amber-50 px-4 py-3 text-sm text-amber-950 ${className}`}>
      <h2 id="reconnect-title" className="font-semibold">
        Reconnect to allow calendar access
      </h2>
      <p className="mt-1">{(error as ApiError).message}</p>
      <Button className="mt-3" size="sm" variant="primary" busy={reconnect.isPending} disabled={reconnect.isPending} onClick={() => reconnect.mutate(returnTo)}>
        Reconnect Google account
      </Button>
      {reconnect.isError && <ErrorMessage error={reconnect.error} className="mt-2" />}
    </section>
  )
}
