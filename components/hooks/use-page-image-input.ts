"use client";

import { useEffect } from "react";

/**
 * Images pasted or dropped anywhere on the page go to `pick`, unless an answer is running.
 * Ctrl/Cmd+V takes a screenshot straight from the clipboard; a file dropped beside the picker
 * would otherwise make the browser open it and leave the page, losing the conversation.
 */
export function usePageImageInput(busy: boolean, pick: (file: File) => Promise<void>) {
  useEffect(() => {
    const onPaste = (event: ClipboardEvent) => {
      const pasted = [...(event.clipboardData?.files ?? [])].find((item) => item.type.startsWith("image/"));
      if (!pasted || busy) return;
      event.preventDefault();
      void pick(pasted);
    };
    window.addEventListener("paste", onPaste);
    return () => window.removeEventListener("paste", onPaste);
  }, [busy, pick]);

  useEffect(() => {
    const carriesFiles = (event: DragEvent) => event.dataTransfer?.types.includes("Files") ?? false;
    const onDragOver = (event: DragEvent) => {
      if (carriesFiles(event)) event.preventDefault();
    };
    const onDrop = (event: DragEvent) => {
      // The picker handles drops on itself.
      if (!carriesFiles(event) || event.defaultPrevented) return;
      event.preventDefault();
      const dropped = event.dataTransfer?.files[0];
      if (dropped && !busy) void pick(dropped);
    };
    window.addEventListener("dragover", onDragOver);
    window.addEventListener("drop", onDrop);
    return () => {
      window.removeEventListener("dragover", onDragOver);
      window.removeEventListener("drop", onDrop);
    };
  }, [busy, pick]);
}
