// Route guards: wait for the session to be known, send signed-out people to /login and non-admins away from /admin.
import { Navigate, Outlet, useLocation } from 'react-router'
import { Loading } from '@/components/loading'
import { useSession } from '@/lib/use-session'

export function RequireAuth() {
  const session = useSession()
  const location = useLocation()
  if (session.status === 'unknown') return <Loading label="Signing you in…" className="min-h-screen justify-center" />
  if (session.status === 'signed-out') {
    if (session.endedBy === 'logout') return <Navigate to="/login" replace />
    const next = location.pathname + location.search
    return <Navigate to={`/login?next=${encodeURIComponent(next)}`} replace />
  }
  return <Outlet />
}

export function RequireGuest() {
  const session = useSession()
  const location = useLocation()
  if (session.status === 'unknown') return <Loading label="Loading…" className="min-h-screen justify-center" />
  if (session.status === 'signed-in') {
    const next = new URLSearchParams(location.search).get('next')
    return <Navigate to={next && next.startsWith('/') && !next.startsWith('//') ? next : '/mail/INBOX'} replace />
  }
  return <Outlet />
}

export function RequireAdmin() {
  const session = useSession()
  if (session.user?.role !== 'admin') {
    return (
      <div className="p-6">
        <h1 className="text-lg font-semibold">Not available</h1>
        <p className="mt-2 text-sm text-slate-700">This area is for administrators.</p>
      </div>
    )
  }
  return <Outlet />
}
