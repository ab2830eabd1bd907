import { screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { envelope, mockApi } from '@/test/fetch-mock'
import { renderWithApp } from '@/test/render'
import { ForgotPasswordPage } from './forgot-password-page'
import { ResetPasswordPage } from './reset-password-page'

afterEach(() => vi.unstubAllGlobals())

describe('password reset', () => {
  it('asks for a link and answers neutrally', async () => {
    const seen = mockApi({ 'POST /api/v1/auth/reset-password': () => envelope({ message: 'If the account exists…' }, {}, 202) })
    renderWithApp(<ForgotPasswordPage />, { url: '/forgot-password', path: '/forgot-password' })
    await userEvent.type(screen.getByLabelText('Email'), 'ann@example.com')
    await userEvent.click(screen.getByRole('button', { name: 'Send reset link' }))
    expect(await screen.findByRole('status')).toHaveTextContent('If an account exists for ann@example.com')
    expect(seen[0]?.body).toEqual({ email: 'ann@example.com' })
  })

  it('needs matching passwords that meet the rules, then sends the token', async () => {
    const seen = mockApi({ 'POST /api/v1/auth/reset-password/confirm': () => envelope({ message: 'Password changed.' }) })
    renderWithApp(<ResetPasswordPage />, { url: '/reset-password?token=rt-1', path: '/reset-password' })
    await userEvent.type(screen.getByLabelText('New password'), 'Correct horse 9!')
    await userEvent.type(screen.getByLabelText('Confirm new password'), 'Correct horse 9?')
    await userEvent.click(screen.getByRole('button', { name: 'Change password' }))
    expect(screen.getByText('The two passwords are not the same.')).toBeInTheDocument()
    expect(seen).toHaveLength(0)
    await userEvent.clear(screen.getByLabelText('Confirm new password'))
    await userEvent.type(screen.getByLabelText('Confirm new password'), 'Correct horse 9!')
    await userEvent.click(screen.getByRole('button', { name: 'Change password' }))
    expect(await screen.findByRole('status')).toHaveTextContent('Your password is changed')
    expect(seen[0]?.body).toEqual({ token: 'rt-1', new_password: 'Correct horse 9!' })
    expect(screen.getByRole('link', { name: 'Sign in' })).toHaveAttribute('href', '/login')
  })
})
