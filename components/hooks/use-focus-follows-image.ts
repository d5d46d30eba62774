"use client";

import { useEffect, useRef, type RefObject } from "react";

/**
 * When an image arrives or goes, the control that had focus (the upload button after browsing,
 * Remove after removing) is gone, so focus fell back to the page: it moves to the control that
 * took its place. Focus elsewhere (the task box, when an image is pasted) stays where it is.
 */
export function useFocusFollowsImage(
  hasImage: boolean,
  withImage: RefObject<HTMLElement | null>,
  withoutImage: RefObject<HTMLElement | null>,
) {
  const hadImage = useRef(hasImage);
  useEffect(() => {
    if (hadImage.current === hasImage) return;
    hadImage.current = hasImage;
    const active = document.activeElement;
    if (active && active !== document.body) return;
    (hasImage ? withImage : withoutImage).current?.focus();
  }, [hasImage, withImage, withoutImage]);
}
