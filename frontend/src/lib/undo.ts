// Undo for what a person just did (archive, trash, labels, read state, a send): the latest offer is kept here, shown
// as a toast with an Undo button, and `z` anywhere in the app takes it back (issue 17, item 5).
import { toast } from 'sonner'

interface Offer {
  id: number
  undo: () => Promise<void>
}

let latest: Offer | null = null
let counter = 0

/** Show `message` with an Undo button for `seconds`; `z` undoes it too while it is the latest offer. With
 * `countdown`, the toast counts the seconds down (e.g. "Sends in 7 s"); when they are over, the Undo offer ends and
 * `countdown.elapsed` gets the toast's id to say what happens next in the same place (a held send says "Sending…"
 * until the server says it went out). */
export function offerUndo(
  message: string,
  undo: () => Promise<void>,
  seconds = 10,
  countdown?: { text: (left: number) => string; elapsed: (toastId: string) => void },
): void {
  const id = ++counter
  latest = { id, undo }
  const run = () => void undoLatest(id)
  const show = (left: number) =>
    toast(message, {
      id: `undo-${id}`,
      description: countdown?.text(left),
      duration: left * 1000 + 500,
      action: { label: 'Undo', onClick: run },
      onAutoClose: () => {
        if (latest?.id === id) latest = null
      },
    })
  show(seconds)
  if (!countdown) return
  const started = Date.now()
  const timer = window.setInterval(() => {
    const left = seconds - Math.floor((Date.now() - started) / 1000)
    if (latest?.id !== id) {
      window.clearInterval(timer)
      return
    }
    if (left <= 0) {
      window.clearInterval(timer)
      latest = null
      countdown.elapsed(`undo-${id}`)
      return
    }
    show(left)
  }, 1000)
}

/** Take back the latest offer (or the one with `id`); says what happened. False when there is nothing to undo. */
export async function undoLatest(id?: number): Promise<boolean> {
  const offer = latest
  if (!offer || (id !== undefined && offer.id !== id)) return false
  latest = null
  toast.dismiss(`undo-${offer.id}`)
  try {
    await offer.undo()
    toast.success('Undone')
  } catch {
    toast.error('Could not undo', { description: 'The server could not be reached, or the change can no longer be taken back.' })
  }
  return true
}

/** For tests: forget any offer. */
export function clearUndo(): void {
  latest = null
}
