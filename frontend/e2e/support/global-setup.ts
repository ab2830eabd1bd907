// Starts `mailagent serve` on the embedded default (fresh data dir, random 127.0.0.1 port) with the built web app.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { TestProject } from 'vitest/node'
import 'vitest'

const frontend = resolve(import.meta.dirname, '..', '..')
const repo = resolve(frontend, '..')
const mailagent = join(repo, '.venv', 'bin', 'mailagent')

export const GMAIL_ADDRESS = 'ana.gmail@e2e-journey.example'
export const ADMIN_EMAIL = 'admin@e2e-admin.example'
export const ADMIN_PASSWORD = 'Quiet-lantern-orbit-57!'

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer()
    server.once('error', fail)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => done(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

async function waitForReady(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`mailagent serve exited (${child.exitCode}):\n${output()}`)
    try {
      const response = await fetch(`${url}/readyz`)
      if (response.ok) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error(`mailagent serve did not become ready within 60 s:\n${output()}`)
}

/** tests/support/serve_fake_google.py: prints the settings that point the server at it, then serves. */
function startFakeGoogle(): Promise<{ process: ChildProcess; settings: Record<string, string> }> {
  const python = join(repo, '.venv', 'bin', 'python')
  const child = spawn(python, ['-m', 'tests.support.serve_fake_google', '--address', GMAIL_ADDRESS], { cwd: repo })
  return new Promise((done, fail) => {
    let out = ''
    let err = ''
    const timer = setTimeout(() => fail(new Error(`the fake Google did not start:\n${err}`)), 30_000)
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()))
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const line = out.split('\n')[0]
      if (out.includes('\n') && line) {
        clearTimeout(timer)
        done({ process: child, settings: JSON.parse(line) as Record<string, string> })
      }
    })
    child.on('exit', (code) => fail(new Error(`the fake Google exited (${code}):\n${err}`)))
  })
}

/** tests/support/serve_clamd.py: a private clamd (EICAR-only database); prints MAILAGENT_CLAMD_ADDRESS, then waits. */
function startClamd(): Promise<{ process: ChildProcess; settings: Record<string, string> }> {
  const python = join(repo, '.venv', 'bin', 'python')
  const child = spawn(python, ['-m', 'tests.support.serve_clamd'], { cwd: repo })
  return new Promise((done, fail) => {
    let out = ''
    let err = ''
    const timer = setTimeout(() => fail(new Error(`clamd did not start:\n${err}`)), 120_000)
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()))
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const line = out.split('\n')[0]
      if (out.includes('\n') && line) {
        clearTimeout(timer)
        done({ process: child, settings: JSON.parse(line) as Record<string, string> })
      }
    })
    child.on('exit', (code) => fail(new Error(`clamd's helper exited (${code}):\n${err}`)))
  })
}

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string
    dataDir: string
    adminEmail: string
    adminPassword: string
    gmailAddress: string
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  if (!existsSync(mailagent)) throw new Error('No backend in .venv: run `make setup` in the repository root first.')
  if (!existsSync(join(frontend, 'dist', 'index.html'))) throw new Error('No web build: run `npm run build` first.')
  if (!existsSync('/usr/bin/chromium')) throw new Error("Debian's chromium is missing: `apt-get install chromium` (.ci/run installs it).")
  const dataDir = mkdtempSync(join(tmpdir(), 'mailagent-e2e-'))
  const [google, clamd] = await Promise.all([startFakeGoogle(), startClamd()])
  const port = await freePort()
  const baseUrl = `http://127.0.0.1:${port}`
  const env = {
    ...process.env,
    MAILAGENT_DATA_DIR: dataDir,
    MAILAGENT_PUBLIC_URL: baseUrl,
    MAILAGENT_WEB_DIST: join(frontend, 'dist'),
    MAILAGENT_ANONYMOUS_RATE_LIMIT_PER_MINUTE: '1000',
    MAILAGENT_SCHEDULED_DISPATCH_SECONDS: '2',
    MAILAGENT_OUTBOX_RELAY_SECONDS: '1',
    // "Connect Gmail" goes to a local fake of Google's consent and token endpoints and of the Gmail API.
    ...google.settings,
    // Attachments are scanned by a real clamd, as in production (EICAR is refused in the browser test).
    ...clamd.settings,
    OAUTHLIB_INSECURE_TRANSPORT: '1', // the fakes speak http on 127.0.0.1
  }
  const cli = (...args: string[]) => {
    try {
      execFileSync(mailagent, args, { env, stdio: 'pipe' })
    } catch (error) {
      const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? ''
      throw new Error(`mailagent ${args[0]} failed: ${stderr}`, { cause: error })
    }
  }
  cli('db', 'upgrade')
  cli('user', 'create', '--email', ADMIN_EMAIL, '--password', ADMIN_PASSWORD, '--admin')
  let log = ''
  const child = spawn(mailagent, ['serve', '--host', '127.0.0.1', '--port', String(port), '--no-migrate'], { env })
  // The server's log is kept beside its data (MAILAGENT_E2E_KEEP=1 keeps both) for reading after a failure.
  const logFile = createWriteStream(join(dataDir, 'server.log'))
  const record = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-20_000)
    logFile.write(chunk)
  }
  child.stdout.on('data', record)
  child.stderr.on('data', record)
  try {
    await waitForReady(baseUrl, child, () => log.slice(-4000))
  } catch (error) {
    child.kill('SIGTERM')
    google.process.kill('SIGTERM')
    clamd.process.kill('SIGTERM')
    throw error
  }
  project.provide('baseUrl', baseUrl)
  project.provide('dataDir', dataDir)
  project.provide('adminEmail', ADMIN_EMAIL)
  project.provide('adminPassword', ADMIN_PASSWORD)
  project.provide('gmailAddress', GMAIL_ADDRESS)
  return () => {
    child.kill('SIGTERM')
    google.process.kill('SIGTERM')
    clamd.process.kill('SIGTERM')
    if (!process.env.MAILAGENT_E2E_KEEP) rmSync(dataDir, { recursive: true, force: true })
  }
}
