// The link from the reset e-mail: choose a new password (same live rules as registering) and confirm it.
import { useId, useState, type FormEvent } from 'react'
import { useSearchParams } from 'react-router'
import { Button } from '@/components/button'
import { ErrorMessage } from '@/components/error-message'
import { TextField } from '@/components/text-field'
import { useConfirmPasswordReset } from '../api/confirm-password-reset'
import { fieldErrors } from '../types/field-errors'
import { passwordAcceptable } from '@/lib/password-rules'
import { AuthCard, AuthLink } from './auth-card'
import { PasswordChecklist } from '@/components/password-checklist'

export function ResetPasswordPage() {
  const [params] = useSearchParams()
  const token = params.get('token') ?? ''
  const confirm = useConfirmPasswordReset()
  const rulesId = useId()
  const [password, setPassword] = useState('')
  const [repeat, setRepeat] = useState('')
  const [tried, setTried] = useState(false)

  if (!token) {
    return (
      <AuthCard title="Choose a new password" footer={<AuthLink to="/forgot-password">Request a new link</AuthLink>}>
        <p role="alert" className="text-sm text-slate-700">
          This link has no reset token. Open the link from the e-mail again, or request a new one.
        </p>
      </AuthCard>
    )
  }
  if (confirm.isSuccess) {
    return (
      <AuthCard title="Choose a new password">
        <div className="flex flex-col gap-4">
          <p role="status" className="text-sm text-slate-700">
            Your password is changed. Every session was signed out: sign in with the new password.
          </p>
          <AuthLink to="/login">Sign in</AuthLink>
        </div>
      </AuthCard>
    )
  }

  const ok = passwordAcceptable(password)
  const matches = password === repeat
  const submit = (event: FormEvent) => {
    event.preventDefault()
    setTried(true)
    if (ok && matches) confirm.mutate({ token, new_password: password })
  }
  const serverPasswordError = fieldErrors(confirm.error, 'password') ?? fieldErrors(confirm.error, 'new_password')
  const passwordError = serverPasswordError ?? (tried && !ok ? 'The password does not meet every rule yet.' : undefined)
  const repeatError = tried && !matches ? 'The two passwords are not the same.' : undefined

  return (
    <AuthCard title="Choose a new password" footer={<AuthLink to="/login">Back to sign in</AuthLink>}>
      <form onSubmit={submit} className="flex flex-col gap-4" noValidate>
        <TextField
          label="New password"
          type="password"
          name="new_password"
          autoComplete="new-password"
          required
          value={password}
          error={passwordError}
          hint={<PasswordChecklist id={rulesId} password={password} />}
          onChange={(e) => setPassword(e.target.value)}
        />
        <TextField
          label="Confirm new password"
          type="password"
          name="confirm_password"
          autoComplete="new-password"
          required
          value={repeat}
          error={repeatError}
          onChange={(e) => setRepeat(e.target.value)}
        />
        {!serverPasswordError && confirm.isError && (
          <div className="flex flex-col gap-2">
            <ErrorMessage error={confirm.error} />
            <p className="text-sm text-slate-700">
              Reset links work once and expire soon. <AuthLink to="/forgot-password">Request a new link</AuthLink>.
            </p>
          </div>
        )}
        <Button type="submit" variant="primary" busy={confirm.isPending}>
          Change password
        </Button>
      </form>
    </AuthCard>
  )
}
