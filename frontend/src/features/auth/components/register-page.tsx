// Create an account: e-mail, optional display name and a password checked against the rules while typing.
import { useId, useState, type FormEvent } from 'react'
import { Button } from '@/components/button'
import { ErrorMessage } from '@/components/error-message'
import { TextField } from '@/components/text-field'
import { useRegister } from '../api/register'
import { fieldErrors } from '../types/field-errors'
import { passwordAcceptable } from '@/lib/password-rules'
import { AuthCard, AuthLink } from './auth-card'
import { PasswordChecklist } from '@/components/password-checklist'

export function RegisterPage() {
  const register = useRegister()
  const rulesId = useId()
  const [email, setEmail] = useState('')
  const [displayName, setDisplayName] = useState('')
  const [password, setPassword] = useState('')
  const [tried, setTried] = useState(false)

  if (register.isSuccess) {
    return (
      <AuthCard title="Check your inbox" footer={<AuthLink to="/login">Back to sign in</AuthLink>}>
        <p role="status" className="text-sm text-slate-700">
          Check your inbox: we sent a verification link to <strong className="text-slate-900">{register.data.email}</strong>. Open it to
          activate your account, then sign in.
        </p>
      </AuthCard>
    )
  }

  const ok = passwordAcceptable(password, email)
  const submit = (event: FormEvent) => {
    event.preventDefault()
    setTried(true)
    if (!email.trim() || !ok) return
    register.mutate({ email: email.trim(), password, display_name: displayName.trim() || null })
  }
  const error = register.error
  const emailError = fieldErrors(error, 'email') ?? (tried && !email.trim() ? 'Enter your e-mail address.' : undefined)
  const passwordError = fieldErrors(error, 'password') ?? (tried && !ok ? 'The password does not meet every rule yet.' : undefined)
  const displayNameError = fieldErrors(error, 'display_name')
  // The banner is for errors that belong to no field (e.g. "already registered", rate limits).
  const generalError = error && !fieldErrors(error, 'email') && !fieldErrors(error, 'password') && !displayNameError ? error : null

  return (
    <AuthCard
      title="Create your account"
      footer={
        <p>
          Already have an account? <AuthLink to="/login">Sign in</AuthLink>
        </p>
      }
    >
      <form onSubmit={submit} className="flex flex-col gap-4" noValidate>
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
        <TextField
          label="Display name (optional)"
          name="display_name"
          autoComplete="name"
          maxLength={100}
          value={displayName}
          error={displayNameError}
          onChange={(e) => setDisplayName(e.target.value)}
        />
        <TextField
          label="Password"
          type="password"
          name="password"
          autoComplete="new-password"
          required
          value={password}
          error={passwordError}
          hint={<PasswordChecklist id={rulesId} password={password} email={email} />}
          onChange={(e) => setPassword(e.target.value)}
        />
        <ErrorMessage error={generalError} />
        <Button type="submit" variant="primary" busy={register.isPending}>
          Create account
        </Button>
      </form>
    </AuthCard>
  )
}
