// A row of section links under a page heading (settings, admin); the current section is underlined.
// It never shrinks: in a column that scrolls sideways-capable boxes have no minimum height, so without shrink-0 a
// long page squeezed it to a pixel (issue 17, item 1).
import { NavLink } from 'react-router'

export interface Tab {
  to: string
  label: string
}

export function TabNav({ label, tabs }: { label: string; tabs: Tab[] }) {
  return (
    <nav aria-label={label} className="flex shrink-0 gap-1 overflow-x-auto border-b border-slate-200 bg-white px-4">
      {tabs.map((tab) => (
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
  )
}
