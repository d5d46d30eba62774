"use client";

import { useState, type DragEvent } from "react";

/**
 * A drop zone for one file: `dragging` while a file is held over it, and the handlers to spread
 * on its element. Text or links dragged over the page are not uploads: only files light it up.
 */
export function useDropZone(disabled: boolean, onDropFile: (file: File) => void) {
  const [dragging, setDragging] = useState(false);

  const acceptDrag = (event: DragEvent) => {
    if (!event.dataTransfer.types.includes("Files")) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = disabled ? "none" : "copy";
    if (!disabled) setDragging(true);
  };

  const onDragLeave = (event: DragEvent) => {
    // Moving onto a child fires dragleave on the zone too, with the child as relatedTarget:
    // the pointer is still over the zone, and the drop state must not flicker off.
    if (event.relatedTarget instanceof Node && event.currentTarget.contains(event.relatedTarget)) return;
    setDragging(false);
  };

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    const dropped = event.dataTransfer.files[0];
    if (dropped && !disabled) onDropFile(dropped);
  };

  return { dragging, dropZoneHandlers: { onDragEnter: acceptDrag, onDragOver: acceptDrag, onDragLeave, onDrop } };
}
