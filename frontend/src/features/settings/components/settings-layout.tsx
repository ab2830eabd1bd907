// Settings: a tab list of sections and the chosen section.
import { Outlet } from 'react-router'
import { PageHeader } from '@/components/page-header'
import { TabNav, type Tab } from '@/components/tab-nav'

const TABS: Tab[] = [
  { to: '/settings/profile', label: 'Profile' },
  { to: '/settings/accounts', label: 'Mailboxes' },
  { to: '/settings/api-keys', label: 'API keys' },
  { to: '/settings/integrations', label: 'Integrations' },
]

export function SettingsLayout() {
  return (
    <div className="flex min-h-0 flex-1 flex-col">
      <PageHeader title="Settings" />
      <TabNav label="Settings sections" tabs={TABS} />
      {/* Only the section scrolls; the heading and the tabs stay in view. */}
      <div className="min-h-0 flex-1 overflow-y-auto">
        <div className="mx-auto w-full max-w-3xl p-4">
          <Outlet />
        </div>
      </div>
    </div>
  )
}
