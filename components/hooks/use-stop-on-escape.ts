"use client";

import { useEffect } from "react";

/** What takes Esc for itself: the image viewer, a link's confirmation, any other open dialog. */
const DIALOG_SELECTOR = 'dialog[open], [aria-modal="true"], [role="dialog"], [data-streamdown="link-safety-modal"]';

/**
 * Esc stops the answer while `active`, unless something else wants the key: an open dialog or an
 * input method composing text.
 */
export function useStopOnEscape(active: boolean, stop: () => void) {
  useEffect(() => {
    if (!active) return;
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key !== "Escape" || event.defaultPrevented || event.isComposing) return;
      if (document.querySelector(DIALOG_SELECTOR)) return;
      stop();
    };
    window.addEventListener("keydown", onKeyDown);
    return () => window.removeEventListener("keydown", onKeyDown);
  }, [active, stop]);
}
