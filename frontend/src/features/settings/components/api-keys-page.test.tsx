import { screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { envelope, mockApi } from '@/test/fetch-mock'
import { renderWithApp } from '@/test/render'
import { ApiKeysPage } from './api-keys-page'

afterEach(() => vi.unstubAllGlobals())

const oldKey = {
  id: 'k1',
  name: 'backup script',
  prefix: 'mak_ab12',
  scopes: ['mail:read'],
  created_at: '2026-01-01T10:00:00Z',
  expires_at: null as string | null,
  revoked_at: null as string | null,
  last_used_at: null as string | null,
}

describe('ApiKeysPage', () => {
  it('creates a key, shows the full key once and refreshes the list', async () => {
    let keys = [oldKey]
    const created = { ...oldKey, id: 'k2', name: 'ci', prefix: 'mak_cd34', scopes: ['mail:read', 'mail:send'], expires_at: '2026-04-01T10:00:00Z', key: 'mak_cd34_full_secret_value' }
    const seen = mockApi({
      'GET /api/v1/api-keys': () => envelope(keys),
      'POST /api/v1/api-keys': () => {
        keys = [{ ...created, key: undefined } as never, ...keys]
        return envelope(created, {}, 201)
      },
    })
    renderWithApp(<ApiKeysPage />)
    expect(await screen.findByRole('cell', { name: 'backup script' })).toBeInTheDocument()

    await userEvent.type(screen.getByLabelText('Key name'), 'ci')
    await userEvent.click(screen.getByRole('checkbox', { name: /Read mail/ }))
    await userEvent.click(screen.getByRole('checkbox', { name: /Send mail/ }))
    await userEvent.selectOptions(screen.getByLabelText('Expires'), '90')
    await userEvent.click(screen.getByRole('button', { name: 'Create key' }))

    const dialog = await screen.findByRole('dialog', { name: 'Your new API key' })
    expect(within(dialog).getByText('Copy this key now. It will not be shown again.')).toBeInTheDocument()
    expect(within(dialog).getByLabelText('API key')).toHaveTextContent('mak_cd34_full_secret_value')
    expect(seen.find((r) => r.method === 'POST')?.body).toEqual({ name: 'ci', scopes: ['mail:read', 'mail:send'], expires_in_days: 90 })
    await waitFor(() => expect(seen.filter((r) => r.method === 'GET')).toHaveLength(2))
    expect(await screen.findByRole('cell', { name: 'ci' })).toBeInTheDocument()

    await userEvent.click(within(dialog).getByRole('button', { name: 'Done' }))
    expect(screen.queryByText('mak_cd34_full_secret_value')).not.toBeInTheDocument()
  })

  it('copies the key to the clipboard', async () => {
    const writeText = vi.fn().mockResolvedValue(undefined)
    const user = userEvent.setup()
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true })
    mockApi({
      'GET /api/v1/api-keys': () => envelope([]),
      'POST /api/v1/api-keys': () => envelope({ ...oldKey, key: 'mak_secret' }, {}, 201),
    })
    renderWithApp(<ApiKeysPage />)
    expect(await screen.findByText('No API keys yet')).toBeInTheDocument()
    await user.type(screen.getByLabelText('Key name'), 'x')
    await user.click(screen.getByRole('button', { name: 'Create key' }))
    await user.click(await screen.findByRole('button', { name: 'Copy' }))
    expect(writeText).toHaveBeenCalledWith('mak_secret')
    expect(await screen.findByText('Copied to the clipboard.')).toBeInTheDocument()
  })

  it('asks before revoking, then revokes and shows the key as revoked', async () => {
    let keys = [oldKey]
    const seen = mockApi({
      'GET /api/v1/api-keys': () => envelope(keys),
      'DELETE /api/v1/api-keys/k1': () => {
        keys = [{ ...oldKey, revoked_at: '2026-02-01T10:00:00Z' }]
        return envelope(keys[0])
      },
    })
    renderWithApp(<ApiKeysPage />)
    await userEvent.click(await screen.findByRole('button', { name: 'Revoke backup script' }))
    const dialog = screen.getByRole('dialog', { name: 'Revoke API key?' })
    expect(seen.some((r) => r.method === 'DELETE')).toBe(false)

    await userEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }))
    expect(screen.queryByRole('dialog', { name: 'Revoke API key?' })).not.toBeInTheDocument()
    expect(seen.some((r) => r.method === 'DELETE')).toBe(false)

    await userEvent.click(screen.getByRole('button', { name: 'Revoke backup script' }))
    await userEvent.click(within(screen.getByRole('dialog', { name: 'Revoke API key?' })).getByRole('button', { name: 'Revoke key' }))
    expect(await screen.findByText(/^Revoked /)).toBeInTheDocument()
    expect(seen.filter((r) => r.method === 'DELETE').map((r) => r.path)).toEqual(['/api/v1/api-keys/k1'])
    expect(screen.queryByRole('button', { name: 'Revoke backup script' })).not.toBeInTheDocument()
  })
})
