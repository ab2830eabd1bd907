// Sign in: e-mail and password; afterwards go back where the person was headed (?next=) or to the inbox.
import { useState, type FormEvent } from 'react'
import { useNavigate, useSearchParams } from 'react-router'
import { Button } from '@/components/button'
import { TextField } from '@/components/text-field'
import { ApiError, messageOf } from '@/lib/api-error'
import { useLogin } from '../api/login'
import { safeNextPath } from '../types/next-path'
import { AuthCard, AuthLink } from './auth-card'

function loginErrorMessage(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 401) return 'The e-mail address or password is not correct.'
    if (error.status === 429) return `Too many sign-in attempts. ${error.message}`
  }
  // 403 (unverified or disabled account) and the rest: the backend's message already says what to do.
  return messageOf(error)
}

export function LoginPage() {
  const [params] = useSearchParams()
  const navigate = useNavigate()
  const login = useLogin()
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')

  const submit = (event: FormEvent) => {
    event.preventDefault()
    login.mutate({ email: email.trim(), password }, { onSuccess: () => navigate(safeNextPath(params.get('next')), { replace: true }) })
  }

  return (
    <AuthCard
      title="Sign in to mailagent"
      footer={
        <>
          <p>
            New here? <AuthLink to="/register">Create an account</AuthLink>
          </p>
        </>
      }
    >
      <form onSubmit={submit} className="flex flex-col gap-4" noValidate>
        <TextField label="Email" type="email" name="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        <TextField
          label="Password"
          type="password"
          name="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <div className="-mt-2 text-right text-sm">
          <AuthLink to="/forgot-password">Forgot password?</AuthLink>
        </div>
        {login.isError && (
          <p role="alert" className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
            {loginErrorMessage(login.error)}
          </p>
        )}
        <Button type="submit" variant="primary" busy={login.isPending} disabled={!email || !password}>
          Sign in
        </Button>
      </form>
    </AuthCard>
  )
}
