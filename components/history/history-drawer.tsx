"use client";

import { useId, useLayoutEffect, useRef } from "react";
import { HistoryPanel, type HistoryPanelProps } from "@/components/history/history-panel";
import { Button } from "@/components/ui/button";

export interface HistoryDrawerProps extends Omit<HistoryPanelProps, "headingId" | "headingAction" | "onNavigate"> {
  /** Called once the drawer has closed (Esc, Close, a click beside it, a conversation chosen). */
  onClose(): void;
}

/**
 * The history on a narrow screen: a modal <dialog> from the left edge, so focus stays inside, the
 * page behind is inert and Esc closes it. Mounted only while open.
 */
export function HistoryDrawer({ onClose, ...panel }: HistoryDrawerProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const headingId = useId();
  const close = () => dialog.current?.close();

  // Before the first paint, so the drawer never shows as a non-modal box.
  useLayoutEffect(() => {
    const element = dialog.current;
    // React's development double-run of effects must not call showModal on an open dialog.
    if (element && !element.open) element.showModal();
  }, []);

  return (
    <dialog
      ref={dialog}
      aria-labelledby={headingId}
      onClose={onClose}
      // A click on the backdrop lands on the dialog itself: the panel fills the whole box.
      onClick={(event) => {
        if (event.target === event.currentTarget) close();
      }}
      className="fixed inset-y-0 left-0 m-0 h-dvh max-h-none w-[min(22rem,88vw)] max-w-none overflow-y-auto border-0 border-r border-border bg-sidebar p-0 text-foreground shadow-xl backdrop:bg-black/50"
      data-testid="history-drawer"
    >
      <HistoryPanel
        {...panel}
        headingId={headingId}
        onNavigate={close}
        headingAction={
          <Button variant="icon" aria-label="Close history" onClick={close}>
            <svg aria-hidden="true" viewBox="0 0 24 24" className="size-5" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round">
              <path d="M6 6l12 12M18 6 6 18" />
            </svg>
          </Button>
        }
      />
    </dialog>
  );
}
