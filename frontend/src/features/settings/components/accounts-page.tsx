// Mailboxes: the connected accounts, connecting Gmail, an IMAP mailbox or the demo mailbox, disconnecting, the OAuth return.
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { useEffect, useRef, useState } from 'react'
import { useSearchParams } from 'react-router'
import type { components } from '@/api/schema'
import { Button } from '@/components/button'
import { Dialog } from '@/components/dialog'
import { EmptyState } from '@/components/empty-state'
import { ErrorMessage } from '@/components/error-message'
import { Loading } from '@/components/loading'
import { setActiveAccountId, useActiveAccountId } from '@/lib/active-account'
import { QUERY_ROOTS } from '@/lib/query-keys'
import { useConnectDemoAccount } from '../api/connect-demo-account'
import { useDisconnectAccount } from '../api/disconnect-account'
import { useConnectGoogle } from '../api/google-authorize'
import { mailAccountsQueryOptions } from '../api/mail-accounts'
import { ImapConnectDialog } from './imap-connect-dialog'
import { Section } from './section'

type MailAccount = components['schemas']['MailAccountOut']

const RETURN_TO = '/settings/accounts'
const PROVIDERS: Record<string, string> = { google: 'Gmail', demo: 'Demo mailbox', imap: 'IMAP/SMTP' }

/** The banner for the backend's OAuth redirect (?connected=<id> or ?connect_error=<message>), read once. */
function useConnectResult() {
  const [params, setParams] = useSearchParams()
  const queryClient = useQueryClient()
  const [result] = useState(() => ({ connected: params.get('connected'), error: params.get('connect_error') }))
  const handled = useRef(false)
  useEffect(() => {
    if (handled.current || (!result.connected && !result.error)) return
    handled.current = true
    if (result.connected) {
      setActiveAccountId(result.connected)
      for (const root of [QUERY_ROOTS.accounts, QUERY_ROOTS.labels, QUERY_ROOTS.emails]) void queryClient.invalidateQueries({ queryKey: [root] })
    }
    // Drop the parameters so a reload does not repeat the banner.
    setParams({}, { replace: true })
  }, [result, setParams, queryClient])
  return result
}

function StatusBadge({ account }: { account: MailAccount }) {
  if (account.status === 'reauth_required') {
    return <span className="rounded-full bg-amber-100 px-2 py-0.5 text-xs font-semibold text-amber-900">Needs reconnecting</span>
  }
  if (account.status === 'active') {
    return <span className="rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-semibold text-emerald-800">Connected</span>
  }
  return <span className="rounded-full bg-slate-100 px-2 py-0.5 text-xs font-semibold text-slate-800">{account.status}</span>
}

export function AccountsPage() {
  const connectResult = useConnectResult()
  const accounts = useQuery(mailAccountsQueryOptions())
  const activeId = useActiveAccountId()
  const demo = useConnectDemoAccount()
  const google = useConnectGoogle()
  const disconnect = useDisconnectAccount()
  const [confirming, setConfirming] = useState<MailAccount | null>(null)
  const [dismissed, setDismissed] = useState(false)
  const [imap, setImap] = useState<{ address: string } | null>(null)
  const connectedAddress = connectResult.connected ? accounts.data?.find((a) => a.id === connectResult.connected)?.address : undefined

  const hasDemo = accounts.data?.some((a) => a.provider === 'demo') ?? false
  const connectActions = (
    <div className="flex flex-wrap gap-2">
      <Button variant="primary" busy={google.isPending} onClick={() => google.mutate(RETURN_TO)}>
        Connect Gmail
      </Button>
      <Button onClick={() => setImap({ address: '' })}>Connect IMAP mailbox</Button>
      {!hasDemo && (
        <Button busy={demo.isPending} onClick={() => demo.mutate()}>
          Use the demo mailbox
        </Button>
      )}
    </div>
  )

  return (
    <div className="flex flex-col gap-4">
      {!dismissed && connectResult.connected && (
        <div role="status" className="flex items-start justify-between gap-3 rounded-md border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-900">
          <span>{connectedAddress ? `Connected ${connectedAddress}.` : 'Mailbox connected.'} It is now the mailbox you see.</span>
          <button type="button" className="text-emerald-900 underline" onClick={() => setDismissed(true)}>
            Dismiss
          </button>
        </div>
      )}
      {!dismissed && connectResult.error && (
        <div role="alert" className="flex items-start justify-between gap-3 rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
          <span>The mailbox could not be connected: {connectResult.error}</span>
          <button type="button" className="text-red-800 underline" onClick={() => setDismissed(true)}>
            Dismiss
          </button>
        </div>
      )}
      <Section title="Mailboxes" action={connectActions}>
        <ErrorMessage error={google.error} />
        <ErrorMessage error={demo.error} />
        {demo.isSuccess && (
          <p role="status" className="text-sm text-slate-700">
            The demo mailbox {demo.data.address} is connected and selected.
          </p>
        )}
        {accounts.isPending ? (
          <Loading label="Loading mailboxes…" />
        ) : accounts.isError ? (
          <ErrorMessage error={accounts.error} />
        ) : accounts.data.length === 0 ? (
          <EmptyState title="No mailbox connected yet">Connect your Gmail account, or try mailagent with the demo mailbox.</EmptyState>
        ) : (
          <ul className="divide-y divide-slate-100 rounded-md border border-slate-200 bg-white">
            {accounts.data.map((account) => (
              <li key={account.id} className="flex flex-col gap-2 px-4 py-3">
                <div className="flex flex-wrap items-center justify-between gap-3">
                  <div className="min-w-0 text-sm">
                    <p className="flex flex-wrap items-center gap-2 font-medium text-slate-900">
                      <span className="truncate">{account.address}</span>
                      <StatusBadge account={account} />
                      {account.id === activeId && (
                        <span className="rounded-full bg-brand-50 px-2 py-0.5 text-xs font-semibold text-brand-700">Shown</span>
                      )}
                    </p>
                    <p className="text-slate-600">{PROVIDERS[account.provider] ?? account.provider}</p>
                  </div>
                  <div className="flex gap-2">
                    {account.status === 'reauth_required' && (
                      <Button
                        size="sm"
                        variant="primary"
                        aria-label={`Reconnect ${account.address}`}
                        onClick={() => (account.provider === 'imap' ? setImap({ address: account.address }) : google.mutate(RETURN_TO))}
                      >
                        Reconnect
                      </Button>
                    )}
                    {account.id !== activeId && account.status !== 'reauth_required' && (
                      <Button size="sm" aria-label={`Show ${account.address}`} onClick={() => setActiveAccountId(account.id)}>
                        Show this mailbox
                      </Button>
                    )}
                    <Button size="sm" variant="ghost" aria-label={`Disconnect ${account.address}`} onClick={() => setConfirming(account)}>
                      Disconnect
                    </Button>
                  </div>
                </div>
                {account.status === 'reauth_required' && (
                  <p className="rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900">
                    mailagent lost access to this mailbox{account.last_error ? ` (${account.last_error})` : ''}. Reconnect it to keep reading and
                    sending mail.
                  </p>
                )}
              </li>
            ))}
          </ul>
        )}
      </Section>
      {imap && <ImapConnectDialog open address={imap.address} onClose={() => setImap(null)} />}
      <Dialog
        open={confirming !== null}
        title="Disconnect mailbox?"
        onClose={() => {
          setConfirming(null)
          disconnect.reset()
        }}
        footer={
          <>
            <Button onClick={() => setConfirming(null)}>Cancel</Button>
            <Button
              variant="danger"
              busy={disconnect.isPending}
              onClick={() => confirming && disconnect.mutate(confirming.id, { onSuccess: () => setConfirming(null) })}
            >
              Disconnect
            </Button>
          </>
        }
      >
        <p className="text-sm text-slate-700">
          mailagent will stop reading and sending mail for <strong>{confirming?.address}</strong> and forget its access. Your mail stays in the
          mailbox itself. You can connect it again later.
        </p>
        <ErrorMessage error={disconnect.error} className="mt-3" />
      </Dialog>
    </div>
  )
}
