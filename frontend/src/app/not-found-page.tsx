// The screens for an unknown address and for a screen that failed to load.
import { useEffect, useState } from 'react'
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

type Reach = 'checking' | 'reachable' | 'unreachable'

/** Whether the server answers at all: a screen's code failing to load means a new version only if it does. */
async function serverAnswers(): Promise<boolean> {
  try {
    const response = await fetch('/healthz', { cache: 'no-store' })
    return response.ok
  } catch {
    return false
  }
}

export function RouteError() {
  const error = useRouteError()
  const chunkFailed = error instanceof Error && /dynamically imported module|Importing a module script failed|Failed to fetch/.test(error.message)
  const [reach, setReach] = useState<Reach>(chunkFailed ? 'checking' : 'reachable')
  // While the server is away, look again every few seconds and load the screen as soon as it is back (issue 17,
  // item 4: a thread opened during an outage said "A new version is available").
  useEffect(() => {
    if (!chunkFailed) return undefined
    let stopped = false
    let wasDown = false
    const check = async () => {
      const up = await serverAnswers()
      if (stopped) return
      if (up && wasDown) {
        window.location.reload()
        return
      }
      wasDown = wasDown || !up
      setReach(up ? 'reachable' : 'unreachable')
      if (!up) timer = window.setTimeout(() => void check(), 5_000)
    }
    let timer = window.setTimeout(() => void check(), 0)
    return () => {
      stopped = true
      window.clearTimeout(timer)
    }
  }, [chunkFailed])
  let title = 'Something went wrong'
  let text = 'This screen could not be shown. Reload the page to try again.'
  if (chunkFailed && reach === 'unreachable') {
    title = 'The server could not be reached'
    text = 'Check your connection. This screen loads by itself as soon as the server answers again.'
  } else if (chunkFailed && reach === 'checking') {
    title = 'Loading this screen failed'
    text = 'Checking whether the server can be reached…'
  } else if (chunkFailed) {
    title = 'A new version is available'
    text = 'Reload the page to get the latest version of the app.'
  }
  return (
    <main className="mx-auto max-w-lg p-6">
      <h1 className="text-lg font-semibold">{title}</h1>
      <p className="mt-2 text-sm text-slate-700" role="status">
        {text}
      </p>
      <button type="button" className="mt-4 rounded-md bg-brand-600 px-3 py-2 text-sm text-white" onClick={() => window.location.reload()}>
        Reload
      </button>
    </main>
  )
}
