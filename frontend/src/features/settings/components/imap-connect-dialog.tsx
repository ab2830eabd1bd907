// Connect an IMAP/SMTP mailbox: a provider preset (or "other" with the servers), the address and an app password.
import { useQuery } from '@tanstack/react-query'
import { useState, type FormEvent } from 'react'
import { Button } from '@/components/button'
import { Dialog } from '@/components/dialog'
import { ErrorMessage } from '@/components/error-message'
import { TextField } from '@/components/text-field'
import { useConnectImapAccount, type ImapConnect } from '../api/connect-imap-account'
import { imapPresetsQueryOptions } from '../api/imap-presets'

type Security = 'tls' | 'starttls' | 'none'
type Preset = ImapConnect['preset']

const SECURITY: { value: Security; label: string }[] = [
  { value: 'tls', label: 'TLS' },
  { value: 'starttls', label: 'STARTTLS' },
  { value: 'none', label: 'None (local)' },
]

function SecuritySelect({ label, value, onChange }: { label: string; value: Security; onChange: (value: Security) => void }) {
  return (
    <label className="flex flex-col gap-1 text-sm font-medium text-slate-700">
      {label}
      <select
        className="rounded-md border border-slate-300 px-3 py-2 text-sm"
        value={value}
        onChange={(event) => onChange(event.target.value as Security)}
      >
        {SECURITY.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </label>
  )
}

export function ImapConnectDialog({ open, address: initialAddress = '', onClose }: { open: boolean; address?: string; onClose: () => void }) {
  const presets = useQuery(imapPresetsQueryOptions())
  const connect = useConnectImapAccount()
  const [preset, setPreset] = useState<Preset>('fastmail')
  const [address, setAddress] = useState(initialAddress)
  const [username, setUsername] = useState('')
  const [password, setPassword] = useState('')
  const [imapHost, setImapHost] = useState('')
  const [imapPort, setImapPort] = useState('993')
  const [imapSecurity, setImapSecurity] = useState<Security>('tls')
  const [smtpHost, setSmtpHost] = useState('')
  const [smtpPort, setSmtpPort] = useState('465')
  const [smtpSecurity, setSmtpSecurity] = useState<Security>('tls')
  const chosen = presets.data?.find((p) => p.id === preset)

  function close() {
    setPassword('') // never kept once the dialog is closed
    connect.reset()
    onClose()
  }

  function submit(event: FormEvent) {
    event.preventDefault()
    const body: ImapConnect = { address: address.trim(), password, preset, username: username.trim() || null }
    if (preset === 'other') {
      Object.assign(body, {
        imap_host: imapHost.trim(),
        imap_port: Number(imapPort),
        imap_security: imapSecurity,
        smtp_host: smtpHost.trim(),
        smtp_port: Number(smtpPort),
        smtp_security: smtpSecurity,
      })
    }
    connect.mutate(body, { onSuccess: close })
  }

  return (
    <Dialog
      open={open}
      title="Connect an IMAP mailbox"
      onClose={close}
      scrollable
      footer={
        <>
          <Button onClick={close}>Cancel</Button>
          <Button variant="primary" type="submit" form="imap-connect" busy={connect.isPending}>
            Connect
          </Button>
        </>
      }
    >
      <form id="imap-connect" className="flex flex-col gap-3" onSubmit={submit}>
        <label className="flex flex-col gap-1 text-sm font-medium text-slate-700">
          Provider
          <select
            className="rounded-md border border-slate-300 px-3 py-2 text-sm"
            value={preset}
            onChange={(event) => setPreset(event.target.value as Preset)}
          >
            {(presets.data ?? []).map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
            <option value="other">Other (enter the servers)</option>
          </select>
        </label>
        <TextField label="Email address" type="email" autoComplete="email" required value={address} onChange={(e) => setAddress(e.target.value)} />
        <TextField
          label="App password"
          type="password"
          autoComplete="new-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          hint={chosen ? chosen.help : 'The password your provider gives for mail apps. mailagent keeps it in its secret store and never shows it again.'}
        />
        <TextField label="User name (if not the address)" value={username} onChange={(e) => setUsername(e.target.value)} />
        {preset === 'other' && (
          <fieldset className="grid grid-cols-1 gap-3 sm:grid-cols-3">
            <legend className="mb-1 text-sm font-semibold text-slate-900">Servers</legend>
            <TextField label="IMAP server" required value={imapHost} onChange={(e) => setImapHost(e.target.value)} />
            <TextField label="IMAP port" type="number" min={1} max={65535} required value={imapPort} onChange={(e) => setImapPort(e.target.value)} />
            <SecuritySelect label="IMAP security" value={imapSecurity} onChange={setImapSecurity} />
            <TextField label="SMTP server" required value={smtpHost} onChange={(e) => setSmtpHost(e.target.value)} />
            <TextField label="SMTP port" type="number" min={1} max={65535} required value={smtpPort} onChange={(e) => setSmtpPort(e.target.value)} />
            <SecuritySelect label="SMTP security" value={smtpSecurity} onChange={setSmtpSecurity} />
          </fieldset>
        )}
        {chosen && (
          <p className="text-xs text-slate-600">
            IMAP {chosen.imap.host}:{chosen.imap.port} ({chosen.imap.security}), SMTP {chosen.smtp.host}:{chosen.smtp.port} ({chosen.smtp.security})
          </p>
        )}
        <ErrorMessage error={connect.error} />
      </form>
    </Dialog>
  )
}
