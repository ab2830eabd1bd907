// The `?` sheet: every keyboard shortcut, grouped where it works.
import { Button } from '@/components/button'
import { Dialog } from '@/components/dialog'

const SHORTCUTS: { where: string; keys: [string, string][] }[] = [
  {
    where: 'Anywhere',
    keys: [
      ['c', 'Compose a new message'],
      ['z', 'Undo the last change (archive, trash, labels, read state, a send)'],
      ['?', 'Show this list'],
      ['Esc', 'Leave compose, close the menu or a dialog'],
      ['↑ / ↓', 'In the sidebar: move between mailboxes and sections (Tab moves on to the screen)'],
    ],
  },
  {
    where: 'Message list',
    keys: [
      ['j / k', 'Next / previous message'],
      ['o or Enter', 'Open the message'],
      ['x', 'Select the message'],
      ['e', 'Archive'],
      ['#', 'Move to Trash'],
      ['r', 'Reply'],
      ['/', 'Search'],
    ],
  },
  {
    where: 'Conversation',
    keys: [
      ['j / k', 'Next / previous message in the conversation'],
      ['r', 'Reply here, under the conversation (the cursor goes to the editor)'],
      ['a', 'Reply all'],
      ['f', 'Forward'],
      ['u', 'Back to the list'],
    ],
  },
  { where: 'Compose', keys: [['Ctrl+Enter', 'Send']] },
]

export function ShortcutSheet({ open, onClose }: { open: boolean; onClose: () => void }) {
  return (
    <Dialog open={open} title="Keyboard shortcuts" onClose={onClose} scrollable footer={<Button onClick={onClose}>Close</Button>}>
      <div className="flex flex-col gap-4">
        {SHORTCUTS.map((group) => (
          <section key={group.where}>
            <h3 className="mb-1 text-sm font-semibold text-slate-900">{group.where}</h3>
            <dl className="grid grid-cols-[7rem_1fr] gap-x-3 gap-y-1 text-sm">
              {group.keys.map(([key, what]) => (
                <div key={key + what} className="contents">
                  <dt>
                    <kbd className="rounded border border-slate-300 bg-slate-50 px-1.5 font-mono text-xs">{key}</kbd>
                  </dt>
                  <dd className="text-slate-700">{what}</dd>
                </div>
              ))}
            </dl>
          </section>
        ))}
      </div>
    </Dialog>
  )
}
