"use client";

import { useId, useLayoutEffect, useRef, useState } from "react";
import { TransformComponent, TransformWrapper, type ReactZoomPanPinchContentRef } from "react-zoom-pan-pinch";
import { useWindowSize } from "@/components/hooks/use-window-size";
import { useZoomControls } from "@/components/hooks/use-zoom-controls";
import { ImageViewerToolbar } from "@/components/image-viewer-toolbar";

export interface ImageViewerProps {
  src: string;
  fileName: string;
  /** The image's own pixel size: the viewer's scale 1 is 100 %, one image pixel per CSS pixel. */
  width: number;
  height: number;
  /** Called once the dialog has closed (Esc, the Close button). */
  onClose(): void;
}

/**
 * Wheel zoom per unit of deltaY, as a fraction of the current scale: a mouse-wheel notch zooms a
 * noticeable step, a trackpad pinch (many small deltas) smoothly.
 */
const WHEEL_STEP_PER_DELTA = 0.002;

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
  const { minScale, maxScale } = useScaleLimits(width, height);
  const controls = useZoomControls(zoom);
  // The library's wheel and double-click steps add a fixed amount of scale; proportional steps
  // feel the same on a huge diagram zoomed far out as on a small one zoomed far in.
  const scale = Math.max(percent, 1) / 100;

  // Layout effect: the dialog opens (and the transform is fitted to it) before the first paint.
  useLayoutEffect(() => {
    const element = dialog.current;
    // React's development double-run of effects must not call showModal on an open dialog.
    if (element && !element.open) element.showModal();
    // Keyboard zoom and pan start on the image itself, announced with its instructions.
    zoom.current?.instance.wrapperComponent?.focus();
  }, []);

  return (
    <dialog
      ref={dialog}
      aria-labelledby={titleId}
      onClose={onClose}
      // On the whole dialog rather than the library's own handler on the image: the keys keep
      // working after a toolbar button was clicked and has focus.
      onKeyDown={controls.onKeyDown}
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
          <ImageViewerToolbar titleId={titleId} fileName={fileName} percent={percent} controls={controls} onClose={() => dialog.current?.close()} />
          <div className="relative min-h-0 flex-1 bg-muted">
            <ZoomableImage src={src} fileName={fileName} width={width} height={height} hintId={hintId} />
          </div>
          <p id={hintId} className="hidden border-t border-border bg-card px-4 py-1.5 text-center text-xs text-muted-foreground sm:block">
            Scroll or pinch to zoom, drag to pan. Keys: + and − zoom, 0 fits, 1 shows 100 %, arrows pan, Esc closes.
          </p>
        </div>
      </TransformWrapper>
    </dialog>
  );
}

/**
 * Scale limits relative to what fits the window: a huge diagram must be able to shrink to fit, a
 * small icon to grow; a little beyond "fit" when zooming out shows the image's edges.
 */
function useScaleLimits(width: number, height: number) {
  const windowSize = useWindowSize();
  const fitsWindowAt = Math.min(windowSize.width / width, windowSize.height / height);
  return { minScale: Math.min(1, fitsWindowAt) / 2, maxScale: Math.max(8, fitsWindowAt * 4) };
}

interface ZoomableImageProps {
  src: string;
  fileName: string;
  width: number;
  height: number;
  /** The element that says how to zoom and pan. */
  hintId: string;
}

/** The image at its own pixel size inside the zoom library's transform; focusable for the keys. */
function ZoomableImage({ src, fileName, width, height, hintId }: ZoomableImageProps) {
  return (
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
        // A blob: URL of the person's file, or a saved image on this server: nothing for next/image to optimise.
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
  );
}
