"use client";

import { useRef, useState, type DragEvent } from "react";
import { formatBytes } from "@/lib/format";
import { ACCEPT_ATTRIBUTE } from "@/lib/upload/check-image-file";

/** A picked file and the blob: URL that previews it; the owner revokes the URL when done. */
export interface PickedImage {
  file: File;
  previewUrl: string;
}

export interface ImagePickerProps {
  image: PickedImage | null;
  disabled: boolean;
  onPick(file: File): void;
  onRemove(): void;
}

/** Browse, drop or paste an image; shows what was picked with its size and pixel dimensions. */
export function ImagePicker({ image, disabled, onPick, onRemove }: ImagePickerProps) {
  const input = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    const dropped = event.dataTransfer.files[0];
    if (dropped && !disabled) onPick(dropped);
  };

  return (
    <div
      onDragOver={(event) => {
        event.preventDefault();
        if (!disabled) setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
      data-dragging={dragging || undefined}
      className="rounded-lg border-2 border-dashed border-border bg-card p-4 transition-colors has-[input:focus-visible]:ring-2 has-[input:focus-visible]:ring-ring data-dragging:border-primary data-dragging:bg-primary/5"
    >
      <input
        ref={input}
        type="file"
        accept={ACCEPT_ATTRIBUTE}
        aria-label="Upload image"
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
        <FilePreview
          key={image.previewUrl}
          image={image}
          disabled={disabled}
          onReplace={() => input.current?.click()}
          onRemove={onRemove}
        />
      ) : (
        <button
          type="button"
          onClick={() => input.current?.click()}
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
      )}
    </div>
  );
}

interface FilePreviewProps {
  image: PickedImage;
  disabled: boolean;
  onReplace(): void;
  onRemove(): void;
}

function FilePreview({ image: { file, previewUrl }, disabled, onReplace, onRemove }: FilePreviewProps) {
  const [dimensions, setDimensions] = useState<{ width: number; height: number } | null>(null);
  const buttonClass = "rounded-md border border-border px-3 py-1.5 text-sm hover:bg-muted focus-visible:outline-2 focus-visible:outline-ring disabled:opacity-50";

  return (
    <div className="flex flex-col gap-3">
      <figure className="flex flex-col gap-3">
        {
          // A blob: URL of the person's own file: next/image has nothing to optimise here.
          // eslint-disable-next-line @next/next/no-img-element
          <img
            src={previewUrl}
            alt={`Preview of ${file.name}`}
            className="max-h-72 w-full rounded-md bg-muted object-contain"
            onLoad={(event) =>
              setDimensions({ width: event.currentTarget.naturalWidth, height: event.currentTarget.naturalHeight })
            }
          />
        }
        <figcaption className="min-w-0 text-sm">
          <span className="block truncate font-medium" title={file.name}>
            {file.name}
          </span>
          <span className="text-muted-foreground" data-testid="image-facts">
            {formatBytes(file.size)}
            {dimensions && ` · ${dimensions.width} × ${dimensions.height} px`}
          </span>
        </figcaption>
      </figure>
      <div className="flex gap-2">
        <button type="button" onClick={onReplace} disabled={disabled} className={buttonClass}>
          Replace
        </button>
        <button type="button" onClick={onRemove} disabled={disabled} className={buttonClass}>
          Remove
        </button>
      </div>
    </div>
  );
}
