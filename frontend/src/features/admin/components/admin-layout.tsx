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
    <div className="flex min-h-0 flex-1 flex-col">
      <PageHeader title="Administration" />
      <TabNav label="Admin sections" tabs={TABS} />
      {/* Only the section scrolls; the heading and the tabs stay in view. */}
      <div className="min-h-0 flex-1 overflow-y-auto">
        <div className="w-full p-4">
          <Outlet />
        </div>
      </div>
    </div>
  )
}
