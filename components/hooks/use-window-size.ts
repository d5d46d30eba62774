"use client";

import { useSyncExternalStore } from "react";

/** What the server renders with, before the browser's own size is known. */
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
export function useWindowSize() {
  return useSyncExternalStore(subscribeToResize, readWindowSize, () => SERVER_WINDOW);
}
