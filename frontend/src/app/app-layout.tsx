// The signed-in frame: top bar with the user menu, a sidebar (mailboxes, labels, sections) and the current screen.
import { useEffect, useRef, useState, useSyncExternalStore } from 'react'
import { Link, NavLink, Outlet, useLocation, useNavigate } from 'react-router'
import { useLogout } from '@/features/auth/api/logout'
import { MailSidebar } from '@/features/mail/components/mail-sidebar'
import { isTypingTarget } from '@/features/mail/hooks/use-shortcuts'
import { undoLatest } from '@/lib/undo'
import { crossesImagePolicy } from '@/lib/document-policy'
import { liveStatus, onLiveStatus, type LiveStatus } from '@/lib/live-socket'
import { useSession } from '@/lib/use-session'
import { useLiveUpdates } from './live-updates'
import { useRovingNav } from './roving-nav'
import { ShortcutSheet } from './shortcut-sheet'

const STATUS_TEXT: Record<LiveStatus, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
}

function LiveIndicator() {
  const status = useSyncExternalStore(onLiveStatus, liveStatus, liveStatus)
  const colour = status === 'live' ? 'bg-emerald-500' : status === 'offline' ? 'bg-slate-400' : 'bg-amber-500'
  return (
    <span className="hidden items-center gap-1.5 text-xs text-slate-600 sm:flex" role="status" aria-live="polite">
      <span className={`size-2 rounded-full ${colour}`} aria-hidden="true" />
      {STATUS_TEXT[status]}
    </span>
  )
}

function UserMenu() {
  const session = useSession()
  const logout = useLogout()
  const navigate = useNavigate()
  const [open, setOpen] = useState(false)
  const menuRef = useRef<HTMLDivElement>(null)
  useEffect(() => {
    if (!open) return undefined
    const close = (event: MouseEvent | KeyboardEvent) => {
      if (event instanceof KeyboardEvent && event.key !== 'Escape') return
      if (event instanceof MouseEvent && menuRef.current?.contains(event.target as Node)) return
      setOpen(false)
    }
    document.addEventListener('mousedown', close)
    document.addEventListener('keydown', close)
    return () => {
      document.removeEventListener('mousedown', close)
      document.removeEventListener('keydown', close)
    }
  }, [open])
  const user = session.user
  const initial = (user?.display_name || user?.email || '?').slice(0, 1).toUpperCase()
  const item = 'block w-full px-3 py-2 text-left text-sm text-slate-800 hover:bg-slate-100 focus:bg-slate-100'
  return (
    <div className="relative" ref={menuRef}>
      <button
        type="button"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-label="Account menu"
        onClick={() => setOpen((v) => !v)}
        className="flex items-center gap-2 rounded-full p-1 hover:bg-slate-100"
      >
        <span className="flex size-8 items-center justify-center rounded-full bg-brand-600 text-sm font-semibold text-white" aria-hidden="true">
          {initial}
        </span>
        <span className="hidden max-w-48 truncate text-sm text-slate-700 md:inline">{user?.email}</span>
      </button>
      {open && (
        <div role="menu" className="absolute right-0 z-30 mt-2 w-56 overflow-hidden rounded-md border border-slate-200 bg-white py-1 shadow-lg">
          <p className="truncate px-3 py-2 text-xs text-slate-600">Signed in as {user?.email}</p>
          <Link role="menuitem" to="/settings/profile" className={item} onClick={() => setOpen(false)}>
            Settings
          </Link>
          <Link role="menuitem" to="/settings/api-keys" className={item} onClick={() => setOpen(false)}>
            API keys
          </Link>
          {user?.role === 'admin' && (
            <Link role="menuitem" to="/admin/users" className={item} onClick={() => setOpen(false)}>
              Admin
            </Link>
          )}
          <button
            role="menuitem"
            type="button"
            className={item}
            onClick={() => logout.mutate(undefined, { onSettled: () => navigate('/login', { replace: true }) })}
          >
            Sign out
          </button>
        </div>
      )}
    </div>
  )
}

// Drafts is one entry, among the mailboxes (it leads to /drafts); it is not repeated here.
const SECTIONS = [
  { to: '/scheduled', label: 'Scheduled' },
  { to: '/calendar', label: 'Calendar' },
  { to: '/contacts', label: 'Contacts' },
  { to: '/agent', label: 'Agent' },
  { to: '/settings', label: 'Settings' },
]

export function AppLayout() {
  const session = useSession()
  useLiveUpdates(session.status === 'signed-in')
  const location = useLocation()
  // The drawer (narrow screens) belongs to the page it was opened on: navigating closes it.
  const [drawerPath, setDrawerPath] = useState<string | null>(null)
  const drawerOpen = drawerPath === location.pathname
  const setDrawerOpen = (open: boolean) => setDrawerPath(open ? location.pathname : null)
  // Shortcuts that work on every screen: `z` takes back the latest change offered for Undo, `c` composes, `?`
  // lists every shortcut. Never while typing.
  const navigate = useNavigate()
  const [sheetOpen, setSheetOpen] = useState(false)
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return
      if (isTypingTarget(event.target)) return
      if (event.key === 'z') void undoLatest()
      else if (event.key === 'c') void navigate('/compose')
      else if (event.key === '?') setSheetOpen(true)
      else return
      event.preventDefault()
    }
    document.addEventListener('keydown', onKey)
    return () => document.removeEventListener('keydown', onKey)
  }, [navigate])
  // Escape closes the drawer, as it closes every other overlay.
  useEffect(() => {
    if (!drawerOpen) return undefined
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') setDrawerPath(null)
    }
    document.addEventListener('keydown', onKey)
    return () => document.removeEventListener('keydown', onKey)
  }, [drawerOpen])
  // Into or out of the agent's view by any in-app way (a link, Back): show it as a document of its own, under its
  // own policy. The sidebar's links already load a new document; this covers every other way.
  useEffect(() => {
    if (crossesImagePolicy(location.pathname)) window.location.replace(location.pathname + location.search + location.hash)
  }, [location.pathname, location.search, location.hash])
  const navRef = useRef<HTMLElement>(null)
  const onNavKeyDown = useRovingNav(navRef)
  const navLink = ({ isActive }: { isActive: boolean }) =>
    `block rounded-md px-3 py-1.5 text-sm ${isActive ? 'bg-brand-50 font-semibold text-brand-700' : 'text-slate-700 hover:bg-slate-100'}`
  return (
    <div className="flex h-dvh flex-col">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:bg-white focus:p-2">
        Skip to content
      </a>
      <header className="flex h-14 shrink-0 items-center gap-3 border-b border-slate-200 bg-white px-3">
        <button
          type="button"
          className="rounded-md p-2 text-slate-700 hover:bg-slate-100 lg:hidden"
          aria-label="Open navigation"
          aria-expanded={drawerOpen}
          aria-controls="sidebar"
          onClick={() => setDrawerOpen(!drawerOpen)}
        >
          <span aria-hidden="true">☰</span>
        </button>
        <Link to="/mail/INBOX" className="flex items-center gap-2 font-semibold text-slate-900">
          <img src="/favicon.svg" alt="" className="size-7" />
          mailagent
        </Link>
        <div className="ml-auto flex items-center gap-3">
          <LiveIndicator />
          <UserMenu />
        </div>
      </header>
      <div className="relative flex min-h-0 flex-1">
        {drawerOpen && <div className="fixed inset-0 top-14 z-10 bg-slate-900/30 lg:hidden" aria-hidden="true" onClick={() => setDrawerOpen(false)} />}
        <nav
          id="sidebar"
          ref={navRef}
          onKeyDown={onNavKeyDown}
          aria-label="Mailboxes and sections"
          className={`${drawerOpen ? 'fixed inset-y-0 left-0 top-14 z-20 flex' : 'hidden'} w-64 shrink-0 flex-col gap-3 overflow-y-auto border-r border-slate-200 bg-white p-3 lg:static lg:flex`}
        >
          <Link to="/compose" data-own-stop className="rounded-md bg-brand-600 px-3 py-2 text-center text-sm font-semibold text-white hover:bg-brand-700">
            Compose
          </Link>
          <MailSidebar />
          <div className="border-t border-slate-200 pt-3">
            {SECTIONS.map((s) => (
              <NavLink key={s.to} to={s.to} className={navLink} reloadDocument={crossesImagePolicy(s.to)}>
                {s.label}
              </NavLink>
            ))}
            {session.user?.role === 'admin' && (
              <NavLink to="/admin" className={navLink} reloadDocument={crossesImagePolicy('/admin')}>
                Admin
              </NavLink>
            )}
          </div>
        </nav>
        {/* relative: visually hidden text (absolutely placed) in wide tables is clipped here, not by the window. */}
        <main id="main" className="relative flex min-w-0 flex-1 flex-col overflow-hidden">
          <Outlet />
        </main>
        <ShortcutSheet open={sheetOpen} onClose={() => setSheetOpen(false)} />
      </div>
    </div>
  )
}
