// Compose autosave's timing: how long typing must pause before the draft is saved. Tests of other things set it out
// of their way, so a slow run cannot add a save they did not expect.
export const autosave = { delayMs: 1500 }
