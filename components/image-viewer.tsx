"use client";

import { useId, useLayoutEffect, useRef, useState, useSyncExternalStore, type KeyboardEvent, type ReactNode } from "react";
import { TransformComponent, TransformWrapper, type ReactZoomPanPinchContentRef } from "react-zoom-pan-pinch";

export interface ImageViewerProps {
  src: string;
  fileName: string;
  /** The image's own pixel size: the viewer's scale 1 is 100 %, one image pixel per CSS pixel. */
  width: number;
  height: number;
  /** Called once the dialog has closed (Esc, the Close button). */
  onClose(): void;
}

/** Each button press or + / - key press zooms by this factor, at any zoom level. */
const ZOOM_FACTOR = 1.5;
/**
 * Wheel zoom per unit of deltaY, as a fraction of the current scale: one mouse-wheel notch
 * (deltaY 100) zooms about 20 %, a trackpad pinch (many small deltas) smoothly.
 */
const WHEEL_STEP_PER_DELTA = 0.002;
const ARROW_PAN_PX = 80;
const BUTTON_ANIMATION_MS = 200;

/**
 * The picked image full screen, at full resolution: opens fitted to the screen, zooms with the
 * buttons, the wheel, a pinch or + - 0 1, pans by dragging or with the arrow keys. A modal
 * <dialog>, so focus stays inside and Esc closes it.
 */
export function ImageViewer({ src, fileName, width, height, onClose }: ImageViewerProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const zoom = useRef<ReactZoomPanPinchContentRef>(null);
  const titleId = useId();
  const hintId = useId();
  const [percent, setPercent] = useState(100);
  const windowSize = useWindowSize();

  // Scale limits relative to what fits the window: a 20000 px diagram must be able to shrink to
  // fit, a 200 px icon to grow; a little beyond "fit" when zooming out shows the image's edges.
  const fitsWindowAt = Math.min(windowSize.width / width, windowSize.height / height);
  const minScale = Math.min(1, fitsWindowAt) / 2;
  const maxScale = Math.max(8, fitsWindowAt * 4);
  // The library's wheel and double-click steps add a fixed amount of scale; proportional steps
  // feel the same at 12 % on a huge diagram as at 400 % on a small one.
  const scale = Math.max(percent, 1) / 100;

  // Layout effect: the dialog opens (and the transform is fitted to it) before the first paint.
  useLayoutEffect(() => {
    const element = dialog.current;
    // React's development double-run of effects must not call showModal on an open dialog.
    if (element && !element.open) element.showModal();
    // Keyboard zoom and pan start on the image itself, announced with its instructions.
    zoom.current?.instance.wrapperComponent?.focus();
  }, []);

  const zoomBy = (factor: number) => {
    const controls = zoom.current;
    if (!controls) return;
    const current = controls.instance.state.scale;
    // zoomIn/zoomOut take an amount of scale to add or remove, not a factor.
    if (factor > 1) void controls.zoomIn(current * (factor - 1), BUTTON_ANIMATION_MS);
    else void controls.zoomOut(current * (1 - factor), BUTTON_ANIMATION_MS);
  };
  const fit = () => void zoom.current?.fitToView({ animationTime: BUTTON_ANIMATION_MS });
  const actualSize = () => void zoom.current?.centerView(1, BUTTON_ANIMATION_MS);
  const panBy = (x: number, y: number) => void zoom.current?.panBy(x, y, 100);

  const keyActions: Record<string, () => void> = {
    "+": () => zoomBy(ZOOM_FACTOR),
    "=": () => zoomBy(ZOOM_FACTOR),
    "-": () => zoomBy(1 / ZOOM_FACTOR),
    _: () => zoomBy(1 / ZOOM_FACTOR),
    "0": fit,
    "1": actualSize,
    // Arrows move the view, like scrolling: Left shows what is to the left.
    ArrowLeft: () => panBy(ARROW_PAN_PX, 0),
    ArrowRight: () => panBy(-ARROW_PAN_PX, 0),
    ArrowUp: () => panBy(0, ARROW_PAN_PX),
    ArrowDown: () => panBy(0, -ARROW_PAN_PX),
  };

  // On the whole dialog rather than the library's own handler on the image: the keys keep
  // working after a toolbar button was clicked and has focus.
  const onKeyDown = (event: KeyboardEvent<HTMLDialogElement>) => {
    // Ctrl/Cmd with + - 0 is the browser's own page zoom.
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const action = keyActions[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  };

  return (
    <dialog
      ref={dialog}
      aria-labelledby={titleId}
      onClose={onClose}
      onKeyDown={onKeyDown}
      className="fixed inset-0 m-0 h-dvh max-h-none w-dvw max-w-none overflow-hidden border-0 bg-background p-0 text-foreground"
    >
      <TransformWrapper
        ref={zoom}
        fitOnInit="contain"
        centerZoomedOut
        minScale={minScale}
        maxScale={maxScale}
        wheel={{ step: WHEEL_STEP_PER_DELTA * scale }}
        doubleClick={{ step: scale }}
        onTransform={(_, state) => setPercent(Math.round(state.scale * 100))}
      >
        <div className="flex h-full flex-col">
          <header className="flex flex-wrap items-center gap-2 border-b border-border bg-card px-3 py-2 sm:flex-nowrap sm:px-4">
            <h2 id={titleId} className="order-1 min-w-0 flex-1 truncate font-medium" title={fileName}>
              {fileName}
            </h2>
            <div
              role="group"
              aria-label="Zoom"
              className="order-3 flex w-full items-center justify-center gap-1.5 sm:order-2 sm:w-auto"
            >
              <ToolbarButton label="Zoom out" shortcut="-" onClick={() => zoomBy(1 / ZOOM_FACTOR)}>
                <ToolbarIcon path="M5 12h14" />
              </ToolbarButton>
              {/* Not announced: a turn of the wheel would read out every step. */}
              <output aria-live="off" aria-label="Zoom level" className="min-w-14 text-center text-sm tabular-nums">
                {percent} %
              </output>
              <ToolbarButton label="Zoom in" shortcut="+" onClick={() => zoomBy(ZOOM_FACTOR)}>
                <ToolbarIcon path="M12 5v14M5 12h14" />
              </ToolbarButton>
              <ToolbarButton label="Fit to screen" shortcut="0" onClick={fit}>
                Fit
              </ToolbarButton>
              <ToolbarButton label="100 %" description="Actual size" shortcut="1" onClick={actualSize}>
                100 %
              </ToolbarButton>
            </div>
            <div className="order-2 sm:order-3">
              <ToolbarButton label="Close" shortcut="Esc" onClick={() => dialog.current?.close()}>
                <ToolbarIcon path="M6 6l12 12M18 6 6 18" />
              </ToolbarButton>
            </div>
          </header>
          <div className="relative min-h-0 flex-1 bg-muted">
            <TransformComponent
              // Inline: the library's own stylesheet sizes the wrapper to its content and is not
              // in a cascade layer, so it would win over utility classes.
              wrapperStyle={{ position: "absolute", inset: 0, width: "100%", height: "100%", touchAction: "none" }}
              wrapperClass="cursor-grab focus-visible:outline-2 focus-visible:-outline-offset-2 focus-visible:outline-ring active:cursor-grabbing"
              wrapperProps={{
                tabIndex: 0,
                role: "group",
                "aria-roledescription": "zoomable image",
                "aria-label": fileName,
                "aria-describedby": hintId,
              }}
            >
              {
                // A blob: URL of the person's own file: next/image has nothing to optimise here.
                // eslint-disable-next-line @next/next/no-img-element
                <img
                  src={src}
                  alt={fileName}
                  draggable={false}
                  // Diagrams are drawn for white paper; a transparent one would vanish on a dark page.
                  className="bg-white"
                  style={{ width, height, maxWidth: "none" }}
                />
              }
            </TransformComponent>
          </div>
          <p id={hintId} className="hidden border-t border-border bg-card px-4 py-1.5 text-center text-xs text-muted-foreground sm:block">
            Scroll or pinch to zoom, drag to pan. Keys: + and − zoom, 0 fits, 1 shows 100 %, arrows pan, Esc closes.
          </p>
        </div>
      </TransformWrapper>
    </dialog>
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

const SERVER_WINDOW = { width: 1280, height: 800 };
let windowSnapshot = SERVER_WINDOW;

function readWindowSize() {
  if (windowSnapshot.width !== window.innerWidth || windowSnapshot.height !== window.innerHeight) {
    windowSnapshot = { width: window.innerWidth, height: window.innerHeight };
  }
  return windowSnapshot;
}

function subscribeToResize(onChange: () => void) {
  window.addEventListener("resize", onChange);
  return () => window.removeEventListener("resize", onChange);
}

/** The window's size, following rotations and resizes. */
function useWindowSize() {
  return useSyncExternalStore(subscribeToResize, readWindowSize, () => SERVER_WINDOW);
}
