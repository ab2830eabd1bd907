import { screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { useState } from 'react'
import { envelope, mockApi } from '@/test/fetch-mock'
import { renderWithApp } from '@/test/render'
import type { Recipient } from '../lib/recipients'
import { RecipientInput } from './recipient-input'

function Harness({ initial = [] as Recipient[] }) {
  const [recipients, setRecipients] = useState<Recipient[]>(initial)
  const [text, setText] = useState('')
  return (
    <>
      <RecipientInput label="To" recipients={recipients} onRecipientsChange={setRecipients} text={text} onTextChange={setText} />
      <output data-testid="values">{recipients.map((r) => r.value).join(' | ')}</output>
    </>
  )
}

const SUGGESTIONS = [
  { name: 'Alice Archer', address: 'alice@example.com', count: 9, in_contacts: true },
  { name: 'Alan Smith', address: 'alan@example.com', count: 3, in_contacts: false },
]

beforeEach(() => window.localStorage.setItem('mailagent.activeAccount', 'acc-1'))
afterEach(() => window.localStorage.clear())

describe('RecipientInput', () => {
  it('fetches suggestions once typing pauses and picks one with the keyboard', async () => {
    const seen = mockApi({ 'GET /api/v1/contacts/suggestions': () => envelope(SUGGESTIONS) })
    const user = userEvent.setup()
    renderWithApp(<Harness />)
    const input = screen.getByRole('combobox', { name: 'To' })
    expect(input).toHaveAttribute('aria-expanded', 'false')

    await user.type(input, 'al')
    const listbox = await screen.findByRole('listbox', { name: 'To suggestions' })
    const calls = seen.filter((r) => r.path === '/api/v1/contacts/suggestions')
    // Debounced: one request for "al", not one per key.
    expect(calls).toHaveLength(1)
    expect(calls[0]?.search.get('q')).toBe('al')
    expect(calls[0]?.search.get('account')).toBe('acc-1')
    expect(input).toHaveAttribute('aria-expanded', 'true')
    expect(input).toHaveAttribute('aria-controls', listbox.id)

    await user.keyboard('{ArrowDown}{ArrowDown}')
    const options = screen.getAllByRole('option')
    // An address from the address book says so; one only seen in mail does not.
    expect(options[0]).toHaveTextContent('Contact')
    expect(options[1]).not.toHaveTextContent('Contact')
    expect(options[1]).toHaveAttribute('aria-selected', 'true')
    expect(input).toHaveAttribute('aria-activedescendant', options[1]?.id)
    await user.keyboard('{ArrowUp}')
    expect(input).toHaveAttribute('aria-activedescendant', options[0]?.id)

    await user.keyboard('{Enter}')
    expect(screen.getByTestId('values')).toHaveTextContent('Alice Archer <alice@example.com>')
    expect(input).toHaveValue('')
    expect(input).toHaveAttribute('aria-expanded', 'false')
    expect(screen.getByRole('button', { name: 'Remove alice@example.com' })).toBeInTheDocument()
  })

  it('accepts free-typed addresses with comma and flags invalid ones instead of dropping them', async () => {
    mockApi({ 'GET /api/v1/contacts/suggestions': () => envelope([]) })
    const user = userEvent.setup()
    renderWithApp(<Harness />)
    const input = screen.getByRole('combobox', { name: 'To' })

    await user.type(input, 'bob@example.org,not-an-address{Enter}')
    expect(screen.getByTestId('values')).toHaveTextContent('bob@example.org | not-an-address')
    expect(screen.getByText('Not a valid e-mail address: not-an-address')).toBeInTheDocument()
    expect(input).toHaveAttribute('aria-invalid', 'true')
    expect(input).toHaveAccessibleDescription(/not-an-address/)

    // Backspace in the empty field removes the last chip; the flag goes with it.
    await user.keyboard('{Backspace}')
    expect(screen.getByTestId('values')).toHaveTextContent(/^bob@example.org$/)
    expect(screen.queryByText(/Not a valid e-mail address/)).not.toBeInTheDocument()
    expect(input).not.toHaveAttribute('aria-invalid')

    await user.click(screen.getByRole('button', { name: 'Remove bob@example.org' }))
    expect(screen.getByTestId('values')).toBeEmptyDOMElement()
  })

  it('turns typed text into a chip when the field loses focus', async () => {
    mockApi({ 'GET /api/v1/contacts/suggestions': () => envelope([]) })
    const user = userEvent.setup()
    renderWithApp(
      <>
        <Harness />
        <button type="button">elsewhere</button>
      </>,
    )
    await user.type(screen.getByRole('combobox', { name: 'To' }), 'Carol <carol@example.net>')
    await user.click(screen.getByRole('button', { name: 'elsewhere' }))
    await waitFor(() => expect(screen.getByTestId('values')).toHaveTextContent('Carol <carol@example.net>'))
  })
})
