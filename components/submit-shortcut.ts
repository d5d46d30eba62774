import type { KeyboardEvent } from "react";

/** What `aria-keyshortcuts` says of a text box that sends with Ctrl+Enter (Cmd+Enter on a Mac). */
export const SUBMIT_SHORTCUT = "Control+Enter Meta+Enter";

/** A text box's keydown handler that sends on Ctrl/Cmd+Enter, leaving plain Enter for new lines. */
export function submitOnCtrlEnter(submit: () => void) {
  return (event: KeyboardEvent<HTMLElement>) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      submit();
    }
  };
}
