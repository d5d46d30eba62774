"use client";

import type { ReactNode } from "react";
import type { ZoomControls } from "@/components/hooks/use-zoom-controls";

export interface ImageViewerToolbarProps {
  titleId: string;
  fileName: string;
  /** The zoom level shown, 100 for one image pixel per CSS pixel. */
  percent: number;
  controls: ZoomControls;
  onClose(): void;
}

/** The viewer's title, its zoom buttons with the level between them, and Close. */
export function ImageViewerToolbar({ titleId, fileName, percent, controls, onClose }: ImageViewerToolbarProps) {
  return (
    <header className="flex flex-wrap items-center gap-2 border-b border-border bg-card px-3 py-2 sm:flex-nowrap sm:px-4">
      <h2 id={titleId} className="order-1 min-w-0 flex-1 truncate font-medium" title={fileName}>
        {fileName}
      </h2>
      <div role="group" aria-label="Zoom" className="order-3 flex w-full items-center justify-center gap-1.5 sm:order-2 sm:w-auto">
        <ToolbarButton label="Zoom out" shortcut="-" onClick={controls.zoomOut}>
          <ToolbarIcon path="M5 12h14" />
        </ToolbarButton>
        {/* Not announced: a turn of the wheel would read out every step. */}
        <output aria-live="off" aria-label="Zoom level" className="min-w-14 text-center text-sm tabular-nums">
          {percent} %
        </output>
        <ToolbarButton label="Zoom in" shortcut="+" onClick={controls.zoomIn}>
          <ToolbarIcon path="M12 5v14M5 12h14" />
        </ToolbarButton>
        <ToolbarButton label="Fit to screen" shortcut="0" onClick={controls.fit}>
          Fit
        </ToolbarButton>
        <ToolbarButton label="100 %" description="Actual size" shortcut="1" onClick={controls.actualSize}>
          100 %
        </ToolbarButton>
      </div>
      <div className="order-2 sm:order-3">
        <ToolbarButton label="Close" shortcut="Esc" onClick={onClose}>
          <ToolbarIcon path="M6 6l12 12M18 6 6 18" />
        </ToolbarButton>
      </div>
    </header>
  );
}

interface ToolbarButtonProps {
  label: string;
  /** The tooltip, when the label alone says too little. */
  description?: string;
  shortcut: string;
  onClick(): void;
  children: ReactNode;
}

function ToolbarButton({ label, description = label, shortcut, onClick, children }: ToolbarButtonProps) {
  return (
    <button
      type="button"
      onClick={onClick}
      aria-label={label}
      aria-keyshortcuts={shortcut === "Esc" ? "Escape" : shortcut}
      title={`${description} (${shortcut})`}
      className="flex h-9 min-w-9 items-center justify-center rounded-md border border-border bg-card px-2 text-sm font-medium hover:bg-muted focus-visible:outline-2 focus-visible:outline-ring"
    >
      {children}
    </button>
  );
}

function ToolbarIcon({ path }: { path: string }) {
  return (
    <svg aria-hidden="true" viewBox="0 0 24 24" className="size-5" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round">
      <path d={path} />
    </svg>
  );
}
