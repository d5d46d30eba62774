"use client";

import { useRef, type RefObject } from "react";
import { FilePreview } from "@/components/file-preview";
import { useDropZone } from "@/components/hooks/use-drop-zone";
import { useFocusFollowsImage } from "@/components/hooks/use-focus-follows-image";
import type { PickedImage } from "@/components/hooks/use-image-selection";
import { ACCEPT_ATTRIBUTE } from "@/lib/client/check-image-file";

export interface ImagePickerProps {
  image: PickedImage | null;
  disabled: boolean;
  onPick(file: File): void;
  onRemove(): void;
}

/** Browse, drop or paste an image; shows what was picked with its size and pixel dimensions. */
export function ImagePicker({ image, disabled, onPick, onRemove }: ImagePickerProps) {
  const input = useRef<HTMLInputElement>(null);
  const uploadButton = useRef<HTMLButtonElement>(null);
  const zoomButton = useRef<HTMLButtonElement>(null);
  const { dragging, dropZoneHandlers } = useDropZone(disabled, onPick);
  useFocusFollowsImage(image !== null, zoomButton, uploadButton);
  const browse = () => input.current?.click();

  return (
    <div
      role="group"
      aria-label="Diagram image"
      {...dropZoneHandlers}
      data-dragging={dragging || undefined}
      className="relative rounded-lg border-2 border-dashed border-border bg-card p-4 transition-colors data-dragging:border-primary data-dragging:bg-primary/5"
    >
      <input
        ref={input}
        type="file"
        accept={ACCEPT_ATTRIBUTE}
        aria-label="Upload image"
        // The visible upload and Replace buttons open it; a second, invisible tab stop would not help.
        tabIndex={-1}
        className="sr-only"
        disabled={disabled}
        onChange={(event) => {
          const picked = event.target.files?.[0];
          if (picked) onPick(picked);
          // Picking the same file again after removing it must fire change again.
          event.target.value = "";
        }}
      />
      {image ? (
        <FilePreview image={image} disabled={disabled} zoomButtonRef={zoomButton} onReplace={browse} onRemove={onRemove} />
      ) : (
        <UploadButton buttonRef={uploadButton} disabled={disabled} onClick={browse} />
      )}
      {dragging && <DropOverlay replacing={image !== null} />}
    </div>
  );
}

function UploadButton({ buttonRef, disabled, onClick }: { buttonRef: RefObject<HTMLButtonElement | null>; disabled: boolean; onClick(): void }) {
  return (
    <button
      ref={buttonRef}
      type="button"
      onClick={onClick}
      disabled={disabled}
      className="flex w-full cursor-pointer flex-col items-center gap-2 rounded-md py-8 text-center focus-visible:outline-2 focus-visible:outline-ring"
    >
      <svg aria-hidden="true" viewBox="0 0 24 24" className="size-10 text-muted-foreground" fill="none" stroke="currentColor" strokeWidth="1.5">
        <path d="M12 16V4m0 0 4 4m-4-4-4 4M4 16v2a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-2" strokeLinecap="round" strokeLinejoin="round" />
      </svg>
      <span className="font-medium">
        Drop a diagram here, paste it, or <span className="text-primary underline underline-offset-2">browse</span>
      </span>
      <span className="text-sm text-muted-foreground">PNG or JPG, up to the server&apos;s size limit</span>
    </button>
  );
}

function DropOverlay({ replacing }: { replacing: boolean }) {
  return (
    // Over the zone without catching the pointer, so the drag keeps reporting the zone's own elements.
    <div className="pointer-events-none absolute inset-0 rounded-md bg-card">
      <div className="flex size-full items-center justify-center gap-2 rounded-md bg-primary/5 text-lg font-semibold text-primary">
        <svg aria-hidden="true" viewBox="0 0 24 24" className="size-6" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
          <path d="M12 4v12m0 0 4-4m-4 4-4-4M4 20h16" />
        </svg>
        {replacing ? "Drop to replace the image" : "Drop to upload"}
      </div>
    </div>
  );
}
