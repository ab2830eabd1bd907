// Reads the links the backend "sent" by e-mail: in the embedded default, system mail lands in <data dir>/outbox.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

function decodeQuotedPrintable(text: string): string {
  return text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
}

/** The newest link containing `pathPart` in mail to `address`, waiting up to `timeoutMs` for it to arrive. */
export async function linkFromOutbox(dataDir: string, address: string, pathPart: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs
  const safe = address.replace(/[^A-Za-z0-9@._-]/g, '_')
  while (Date.now() < deadline) {
    let files: string[]
    try {
      files = readdirSync(join(dataDir, 'outbox'))
        .filter((f) => f.endsWith(`-${safe}.eml`))
        .sort()
        .reverse()
    } catch {
      files = []
    }
    for (const file of files) {
      const raw = readFileSync(join(dataDir, 'outbox', file), 'utf8')
      // Only a quoted-printable body is decoded: in an 8bit body "token=34…" must stay as it is.
      const text = /content-transfer-encoding:\s*quoted-printable/i.test(raw) ? decodeQuotedPrintable(raw) : raw
      const match = text.match(new RegExp(`https?://[^\\s"'<>]*${pathPart.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[^\\s"'<>]*`))
      if (match) return match[0]
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error(`No mail to ${address} with a ${pathPart} link arrived in ${dataDir}/outbox`)
}
