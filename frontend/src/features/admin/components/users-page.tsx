// Users: every account with its role and status; admins change roles and disable or enable accounts.
import { useQuery } from '@tanstack/react-query'
import { useState } from 'react'
import type { components } from '@/api/schema'
import { Button } from '@/components/button'
import { EmptyState } from '@/components/empty-state'
import { ErrorMessage } from '@/components/error-message'
import { fullDate } from '@/components/format-date'
import { Loading } from '@/components/loading'
import { useSession } from '@/lib/use-session'
import { useUpdateUser } from '../api/update-user'
import { usersQueryOptions } from '../api/users'
import { Pager } from './pager'

type User = components['schemas']['UserOut']
type Role = components['schemas']['Role']

const PAGE_SIZE = 50
const STATUS_TEXT: Record<User['status'], string> = { active: 'Active', pending: 'Not verified', disabled: 'Disabled' }

function UserRow({ user, isMe }: { user: User; isMe: boolean }) {
  const update = useUpdateUser()
  const name = user.display_name || user.email
  const disabled = user.status === 'disabled'
  return (
    <>
      <tr className="align-top">
        <td className="px-3 py-2 font-medium text-slate-900">
          {user.email}
          {isMe && (
            <span id={`self-note-${user.id}`} className="block text-xs font-normal text-slate-600">
              This is you: another administrator can change your role or status.
            </span>
          )}
        </td>
        <td className="px-3 py-2">{user.display_name ?? <span className="text-slate-600">—</span>}</td>
        <td className="px-3 py-2">
          <select
            aria-label={`Role for ${user.email}`}
            value={user.role}
            // Changing your own role or status here could lock you out of this screen mid-click.
            disabled={update.isPending || isMe}
            aria-describedby={isMe ? `self-note-${user.id}` : undefined}
            onChange={(e) => update.mutate({ userId: user.id, change: { role: e.target.value as Role } })}
            className="rounded-md border border-slate-300 bg-white px-2 py-1 text-sm"
          >
            <option value="user">User</option>
            <option value="admin">Admin</option>
          </select>
        </td>
        <td className="px-3 py-2">{STATUS_TEXT[user.status]}</td>
        <td className="px-3 py-2 whitespace-nowrap">{fullDate(user.created_at)}</td>
        <td className="px-3 py-2 whitespace-nowrap">{user.email_verified_at ? fullDate(user.email_verified_at) : 'No'}</td>
        <td className="px-3 py-2">
          <Button
            size="sm"
            variant={disabled ? 'secondary' : 'ghost'}
            aria-label={`${disabled ? 'Enable' : 'Disable'} ${user.email}`}
            busy={update.isPending && update.variables.change.disabled !== undefined}
            disabled={isMe}
            aria-describedby={isMe ? `self-note-${user.id}` : undefined}
            onClick={() => update.mutate({ userId: user.id, change: { disabled: !disabled } })}
          >
            {disabled ? 'Enable' : 'Disable'}
          </Button>
        </td>
      </tr>
      {update.isError && (
        <tr>
          <td colSpan={7} className="px-3 pb-2">
            <ErrorMessage error={update.error} />
            <span className="sr-only">Change for {name} failed.</span>
          </td>
        </tr>
      )}
    </>
  )
}

export function UsersPage() {
  const session = useSession()
  const [offset, setOffset] = useState(0)
  const users = useQuery(usersQueryOptions(offset, PAGE_SIZE))
  return (
    <section aria-labelledby="admin-users-heading" className="flex flex-col gap-3">
      <h2 id="admin-users-heading" className="text-base font-semibold text-slate-900">
        Users
      </h2>
      {users.isPending ? (
        <Loading label="Loading users…" />
      ) : users.isError ? (
        <ErrorMessage error={users.error} />
      ) : users.data.data.length === 0 ? (
        <EmptyState title="No users" />
      ) : (
        <>
          <div className="overflow-x-auto rounded-md border border-slate-200 bg-white" tabIndex={0} role="region" aria-label="Users table">
            <table className="w-full text-left text-sm">
              <caption className="sr-only">Users</caption>
              <thead className="bg-slate-50 text-xs uppercase text-slate-700">
                <tr>
                  <th scope="col" className="px-3 py-2">Email</th>
                  <th scope="col" className="px-3 py-2">Name</th>
                  <th scope="col" className="px-3 py-2">Role</th>
                  <th scope="col" className="px-3 py-2">Status</th>
                  <th scope="col" className="px-3 py-2">Created</th>
                  <th scope="col" className="px-3 py-2">Verified</th>
                  <th scope="col" className="px-3 py-2">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {users.data.data.map((user) => (
                  <UserRow key={user.id} user={user} isMe={user.id === session.user?.id} />
                ))}
              </tbody>
            </table>
          </div>
          <Pager label="Users pages" offset={offset} limit={PAGE_SIZE} shown={users.data.data.length} total={users.data.meta.total} onChange={setOffset} />
        </>
      )}
    </section>
  )
}
