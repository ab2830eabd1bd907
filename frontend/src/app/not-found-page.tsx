// The screens for an unknown address and for a screen that failed to load.
import { Link, useRouteError } from 'react-router'

export function NotFoundPage() {
  return (
    <div className="p-6">
      <h1 className="text-lg font-semibold">Page not found</h1>
      <p className="mt-2 text-sm text-slate-700">
        There is nothing at this address. <Link to="/mail/INBOX" className="text-brand-700 underline">Go to your inbox</Link>.
      </p>
    </div>
  )
}

export function RouteError() {
  const error = useRouteError()
  const chunkFailed = error instanceof Error && /dynamically imported module|Importing a module script failed/.test(error.message)
  return (
    <main className="mx-auto max-w-lg p-6">
      <h1 className="text-lg font-semibold">{chunkFailed ? 'A new version is available' : 'Something went wrong'}</h1>
      <p className="mt-2 text-sm text-slate-700">
        {chunkFailed ? 'Reload the page to get the latest version of the app.' : 'This screen could not be shown. Reload the page to try again.'}
      </p>
      <button type="button" className="mt-4 rounded-md bg-brand-600 px-3 py-2 text-sm text-white" onClick={() => window.location.reload()}>
        Reload
      </button>
    </main>
  )
}
