import { screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { apiError, envelope, mockApi } from '@/test/fetch-mock'
import { renderWithApp } from '@/test/render'
import { RegisterPage } from './register-page'

afterEach(() => vi.unstubAllGlobals())

function rule(name: RegExp) {
  return within(screen.getByRole('list', { name: 'Password rules' })).getByText(name).closest('li')
}

describe('RegisterPage', () => {
  it('updates the password checklist as you type', async () => {
    mockApi({})
    renderWithApp(<RegisterPage />, { url: '/register', path: '/register' })
    expect(screen.getByRole('heading', { level: 1, name: 'Create your account' })).toBeInTheDocument()
    const password = screen.getByLabelText('Password')
    expect(rule(/At least 12 characters/)).toHaveAttribute('data-met', 'false')
    expect(rule(/An uppercase letter/)).toHaveAttribute('data-met', 'false')
    await userEvent.type(password, 'A')
    expect(rule(/An uppercase letter/)).toHaveAttribute('data-met', 'true')
    expect(rule(/A digit/)).toHaveAttribute('data-met', 'false')
    await userEvent.type(password, 'bcdefgh 123')
    expect(rule(/At least 12 characters/)).toHaveAttribute('data-met', 'true')
    expect(rule(/A digit/)).toHaveAttribute('data-met', 'true')
    expect(rule(/A symbol/)).toHaveTextContent('(done)')
  })

  it('does not send a password that breaks a rule', async () => {
    const seen = mockApi({})
    renderWithApp(<RegisterPage />, { url: '/register', path: '/register' })
    await userEvent.type(screen.getByLabelText('Email'), 'ann@example.com')
    await userEvent.type(screen.getByLabelText('Password'), 'short')
    await userEvent.click(screen.getByRole('button', { name: 'Create account' }))
    expect(screen.getByText('The password does not meet every rule yet.')).toBeInTheDocument()
    expect(seen).toHaveLength(0)
  })

  it('shows server field errors next to their fields', async () => {
    mockApi({
      'POST /api/v1/auth/register': () =>
        apiError(422, 'validation_failed', 'The request is not valid.', [
          { field: 'body.email', message: 'value is not a valid email address' },
          { field: 'password', message: 'Do not use your e-mail address in the password.' },
        ]),
    })
    renderWithApp(<RegisterPage />, { url: '/register', path: '/register' })
    await userEvent.type(screen.getByLabelText('Email'), 'ann@example')
    await userEvent.type(screen.getByLabelText('Password'), 'Correct horse 9!')
    await userEvent.click(screen.getByRole('button', { name: 'Create account' }))
    expect(await screen.findByText('value is not a valid email address')).toBeInTheDocument()
    expect(screen.getByLabelText('Email')).toHaveAccessibleDescription('value is not a valid email address')
    expect(screen.getByLabelText('Password')).toHaveAccessibleDescription(/Do not use your e-mail address in the password\./)
  })

  it('sends the registration and then asks to check the inbox', async () => {
    const seen = mockApi({
      'POST /api/v1/auth/register': () =>
        envelope({ id: 'u1', email: 'ann@example.com', role: 'user', status: 'pending', display_name: 'Ann', created_at: '2026-01-01T00:00:00Z', email_verified_at: null }, {}, 201),
    })
    renderWithApp(<RegisterPage />, { url: '/register', path: '/register' })
    await userEvent.type(screen.getByLabelText('Email'), 'ann@example.com')
    await userEvent.type(screen.getByLabelText('Display name (optional)'), 'Ann')
    await userEvent.type(screen.getByLabelText('Password'), 'Correct horse 9!')
    await userEvent.click(screen.getByRole('button', { name: 'Create account' }))
    expect(await screen.findByRole('status')).toHaveTextContent('Check your inbox: we sent a verification link to ann@example.com')
    expect(seen[0]?.body).toEqual({ email: 'ann@example.com', password: 'Correct horse 9!', display_name: 'Ann' })
  })
})
