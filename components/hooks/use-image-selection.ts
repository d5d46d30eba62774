"use client";

import { useCallback, useState } from "react";
import { usePageImageInput } from "@/components/hooks/use-page-image-input";
import { checkImageFile } from "@/lib/client/check-image-file";

/** A picked file and the blob: URL that previews it; the owner revokes the URL when done. */
export interface PickedImage {
  file: File;
  previewUrl: string;
}

export interface ImageSelectionOptions {
  maxUploadBytes: number;
  /** An answer is running: a pasted or dropped image waits. */
  busy: boolean;
  /** Why the file was refused, or null once one is accepted or removed: the form shows it. */
  onProblem(problem: string | null): void;
}

export interface ImageSelection {
  image: PickedImage | null;
  /** Checks the file and, when it passes, makes it the picked image. */
  pick(file: File): Promise<void>;
  remove(): void;
}

/** The image the next question is about: picked, pasted or dropped anywhere, checked, previewed. */
export function useImageSelection({ maxUploadBytes, busy, onProblem }: ImageSelectionOptions): ImageSelection {
  const [image, setImage] = useState<PickedImage | null>(null);

  // The preview's blob: URL lives exactly as long as the picked image.
  const replaceImage = useCallback((next: PickedImage | null) => {
    setImage((previous) => {
      if (previous) URL.revokeObjectURL(previous.previewUrl);
      return next;
    });
  }, []);

  const pick = useCallback(
    async (candidate: File) => {
      const problem = await checkImageFile(candidate, maxUploadBytes);
      onProblem(problem);
      if (!problem) replaceImage({ file: candidate, previewUrl: URL.createObjectURL(candidate) });
    },
    [maxUploadBytes, onProblem, replaceImage],
  );

  const remove = () => {
    replaceImage(null);
    onProblem(null);
  };

  usePageImageInput(busy, pick);

  return { image, pick, remove };
}
