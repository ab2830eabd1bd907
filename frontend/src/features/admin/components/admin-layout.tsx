// Admin: a tab list of sections and the chosen section.
import { Outlet } from 'react-router'
import { PageHeader } from '@/components/page-header'
import { TabNav, type Tab } from '@/components/tab-nav'

const TABS: Tab[] = [
  { to: '/admin/users', label: 'Users' },
  { to: '/admin/audit', label: 'Audit log' },
  { to: '/admin/system', label: 'System' },
]

export function AdminLayout() {
  return (
    <div className="flex min-h-0 flex-1 flex-col overflow-y-auto">
      <PageHeader title="Administration" />
      <TabNav label="Admin sections" tabs={TABS} />
      <div className="w-full p-4">
        <Outlet />
      </div>
    </div>
  )
}
