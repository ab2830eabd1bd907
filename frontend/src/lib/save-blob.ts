// Hand bytes fetched with the session's token to the browser as a download (a plain link would not carry the token).
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob)
  const link = document.createElement('a')
  link.href = url
  link.download = filename
  link.rel = 'noopener'
  document.body.append(link)
  link.click()
  link.remove()
  // Revoke later: some browsers start reading the URL only after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 30_000)
}

/** The file name a Content-Disposition header suggests, or the fallback. */
export function dispositionFilename(header: string | null, fallback: string): string {
  const match = header ? /filename="?([^";]+)"?/i.exec(header) : null
  return match?.[1]?.trim() || fallback
}
