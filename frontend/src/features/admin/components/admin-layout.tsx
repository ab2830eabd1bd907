// Admin: a tab list of sections and the chosen section.
import { NavLink, Outlet } from 'react-router'
import { PageHeader } from '@/components/page-header'

const TABS = [
  { to: '/admin/users', label: 'Users' },
  { to: '/admin/audit', label: 'Audit log' },
  { to: '/admin/system', label: 'System' },
]

export function AdminLayout() {
  return (
    <div className="flex min-h-0 flex-1 flex-col overflow-y-auto">
      <PageHeader title="Administration" />
      <nav aria-label="Admin sections" className="flex gap-1 overflow-x-auto border-b border-slate-200 bg-white px-4">
        {TABS.map((tab) => (
          <NavLink
            key={tab.to}
            to={tab.to}
            className={({ isActive }) =>
              `whitespace-nowrap border-b-2 px-3 py-2 text-sm ${isActive ? 'border-brand-600 font-semibold text-brand-700' : 'border-transparent text-slate-700 hover:text-slate-900'}`
            }
          >
            {tab.label}
          </NavLink>
        ))}
      </nav>
      <div className="w-full p-4">
        <Outlet />
      </div>
    </div>
  )
}
