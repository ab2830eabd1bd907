// Which Content-Security-Policy this document was loaded under. The server gives documents under /agent one that
// allows no remote image at all (the agent's answers are model output that may quote anyone's mail); other pages
// allow remote images for mail the reader chose to show. A policy belongs to a document, so a navigation that
// crosses between the two must load a new document.

export function isAgentPath(path: string): boolean {
  return path === '/agent' || path.startsWith('/agent/')
}

/** The path this document was loaded at (not where client-side navigation has taken it since); null when the
 * browser does not say (no Navigation Timing entry, e.g. a test DOM). */
function loadedPath(): string | null {
  const entries = typeof performance !== 'undefined' && performance.getEntriesByType ? performance.getEntriesByType('navigation') : []
  const name = entries[0]?.name
  if (!name) return null
  try {
    return new URL(name).pathname
  } catch {
    return null
  }
}

/** Showing `path` needs a new document: it is on the other side of the agent's stricter policy. */
export function crossesImagePolicy(path: string): boolean {
  const loaded = loadedPath()
  return loaded !== null && isAgentPath(path) !== isAgentPath(loaded)
}
