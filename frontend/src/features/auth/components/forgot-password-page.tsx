// Ask for a password reset link; the answer never says whether the address has an account.
import { useState, type FormEvent } from 'react'
import { Button } from '@/components/button'
import { ErrorMessage } from '@/components/error-message'
import { TextField } from '@/components/text-field'
import { useRequestPasswordReset } from '../api/request-password-reset'
import { fieldErrors } from '../types/field-errors'
import { AuthCard, AuthLink } from './auth-card'

export function ForgotPasswordPage() {
  const reset = useRequestPasswordReset()
  const [email, setEmail] = useState('')

  if (reset.isSuccess) {
    return (
      <AuthCard title="Reset your password" footer={<AuthLink to="/login">Back to sign in</AuthLink>}>
        <p role="status" className="text-sm text-slate-700">
          If an account exists for <strong className="text-slate-900">{email.trim()}</strong>, we sent it a link to choose a new password.
          The link works once and expires soon.
        </p>
      </AuthCard>
    )
  }
  const submit = (event: FormEvent) => {
    event.preventDefault()
    if (email.trim()) reset.mutate(email.trim())
  }
  const emailError = fieldErrors(reset.error, 'email')
  return (
    <AuthCard title="Reset your password" footer={<AuthLink to="/login">Back to sign in</AuthLink>}>
      <form onSubmit={submit} className="flex flex-col gap-4" noValidate>
        <p className="text-sm text-slate-700">Enter the e-mail address of your account and we will send you a reset link.</p>
        <TextField
          label="Email"
          type="email"
          name="email"
          autoComplete="email"
          required
          value={email}
          error={emailError}
          onChange={(e) => setEmail(e.target.value)}
        />
        {!emailError && <ErrorMessage error={reset.error} />}
        <Button type="submit" variant="primary" busy={reset.isPending} disabled={!email.trim()}>
          Send reset link
        </Button>
      </form>
    </AuthCard>
  )
}
