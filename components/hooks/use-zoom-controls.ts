"use client";

import type { KeyboardEvent, RefObject } from "react";
import type { ReactZoomPanPinchContentRef } from "react-zoom-pan-pinch";

/** Each button press or + / - key press zooms by this factor, at any zoom level. */
const ZOOM_FACTOR = 1.5;
const ARROW_PAN_PX = 80;
const BUTTON_ANIMATION_MS = 200;

export interface ZoomControls {
  zoomIn(): void;
  zoomOut(): void;
  fit(): void;
  actualSize(): void;
  /** + - 0 1 and the arrows, for the element that holds the viewer. */
  onKeyDown(event: KeyboardEvent): void;
}

/** The viewer's buttons and keys, acting on the zoom library's transform. */
export function useZoomControls(zoom: RefObject<ReactZoomPanPinchContentRef | null>): ZoomControls {
  const zoomBy = (factor: number) => {
    const controls = zoom.current;
    if (!controls) return;
    const current = controls.instance.state.scale;
    // zoomIn/zoomOut take an amount of scale to add or remove, not a factor.
    if (factor > 1) void controls.zoomIn(current * (factor - 1), BUTTON_ANIMATION_MS);
    else void controls.zoomOut(current * (1 - factor), BUTTON_ANIMATION_MS);
  };
  const zoomIn = () => zoomBy(ZOOM_FACTOR);
  const zoomOut = () => zoomBy(1 / ZOOM_FACTOR);
  const fit = () => void zoom.current?.fitToView({ animationTime: BUTTON_ANIMATION_MS });
  const actualSize = () => void zoom.current?.centerView(1, BUTTON_ANIMATION_MS);
  const panBy = (x: number, y: number) => void zoom.current?.panBy(x, y, 100);

  const keyActions: Record<string, () => void> = {
    "+": zoomIn,
    "=": zoomIn,
    "-": zoomOut,
    _: zoomOut,
    "0": fit,
    "1": actualSize,
    // Arrows move the view, like scrolling: Left shows what is to the left.
    ArrowLeft: () => panBy(ARROW_PAN_PX, 0),
    ArrowRight: () => panBy(-ARROW_PAN_PX, 0),
    ArrowUp: () => panBy(0, ARROW_PAN_PX),
    ArrowDown: () => panBy(0, -ARROW_PAN_PX),
  };

  const onKeyDown = (event: KeyboardEvent) => {
    // Ctrl/Cmd with + - 0 is the browser's own page zoom.
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const action = keyActions[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  };

  return { zoomIn, zoomOut, fit, actualSize, onKeyDown };
}
