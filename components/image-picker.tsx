"use client";

import { useEffect, useRef, useState, type DragEvent, type RefObject } from "react";
import { ImageViewer } from "@/components/image-viewer";
import { formatBytes } from "@/lib/shared/format";
import { ACCEPT_ATTRIBUTE } from "@/lib/client/check-image-file";

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
  const uploadButton = useRef<HTMLButtonElement>(null);
  const zoomButton = useRef<HTMLButtonElement>(null);
  const [dragging, setDragging] = useState(false);

  const hasImage = image !== null;
  const hadImage = useRef(hasImage);
  useEffect(() => {
    if (hadImage.current === hasImage) return;
    hadImage.current = hasImage;
    // The control that had focus (the upload button after browsing, Remove after removing) is
    // gone, so focus fell back to the page: put it on the control that took its place. Focus
    // elsewhere (the task box, when an image is pasted) stays where it is.
    const active = document.activeElement;
    if (active && active !== document.body) return;
    (hasImage ? zoomButton : uploadButton).current?.focus();
  }, [hasImage]);

  // Text or links dragged over the page are not uploads: only files light the drop zone up.
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
    if (dropped && !disabled) onPick(dropped);
  };

  return (
    <div
      role="group"
      aria-label="Diagram image"
      onDragEnter={acceptDrag}
      onDragOver={acceptDrag}
      onDragLeave={onDragLeave}
      onDrop={onDrop}
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
        <FilePreview
          image={image}
          disabled={disabled}
          zoomButtonRef={zoomButton}
          onReplace={() => input.current?.click()}
          onRemove={onRemove}
        />
      ) : (
        <button
          ref={uploadButton}
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
          <span className="text-sm text-muted-foreground">
            PNG or JPG, up to the server&apos;s size limit
          </span>
        </button>
      )}
      {dragging && (
        // Over the zone without catching the pointer, so the drag keeps reporting the zone's own elements.
        <div className="pointer-events-none absolute inset-0 rounded-md bg-card">
          <div className="flex size-full items-center justify-center gap-2 rounded-md bg-primary/5 text-lg font-semibold text-primary">
            <svg aria-hidden="true" viewBox="0 0 24 24" className="size-6" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
              <path d="M12 4v12m0 0 4-4m-4 4-4-4M4 20h16" />
            </svg>
            {image ? "Drop to replace the image" : "Drop to upload"}
          </div>
        </div>
      )}
    </div>
  );
}

interface FilePreviewProps {
  image: PickedImage;
  disabled: boolean;
  zoomButtonRef: RefObject<HTMLButtonElement | null>;
  onReplace(): void;
  onRemove(): void;
}

interface Measured {
  previewUrl: string;
  width: number;
  height: number;
}

function FilePreview({ image: { file, previewUrl }, disabled, zoomButtonRef, onReplace, onRemove }: FilePreviewProps) {
  // Kept per URL rather than by remounting on a new image, so focus stays on Replace after replacing.
  const [measured, setMeasured] = useState<Measured | null>(null);
  const dimensions = measured?.previewUrl === previewUrl ? measured : null;
  // The URL being viewed: a new image (pasted or dropped meanwhile) closes the viewer of the old one.
  const [viewedUrl, setViewedUrl] = useState<string | null>(null);
  const buttonClass = "rounded-md border border-border px-3 py-1.5 text-sm hover:bg-muted focus-visible:outline-2 focus-visible:outline-ring disabled:opacity-50";

  return (
    <div className="flex flex-col gap-3">
      <figure className="flex flex-col gap-3">
        {/* Not disabled while an answer streams: looking closely at the diagram is what one does then. */}
        <button
          ref={zoomButtonRef}
          type="button"
          // The name starts with the visible hint, as speech input users say what they see.
          aria-label={`Click to zoom into ${file.name}`}
          aria-haspopup="dialog"
          onClick={() => setViewedUrl(previewUrl)}
          className="group relative block w-full cursor-zoom-in rounded-md focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-ring"
        >
          {
            // A blob: URL of the person's own file: next/image has nothing to optimise here.
            // eslint-disable-next-line @next/next/no-img-element
            <img
              src={previewUrl}
              alt={`Preview of ${file.name}`}
              className="max-h-72 w-full rounded-md bg-muted object-contain"
              onLoad={(event) =>
                setMeasured({ previewUrl, width: event.currentTarget.naturalWidth, height: event.currentTarget.naturalHeight })
              }
            />
          }
          <span
            aria-hidden="true"
            className="absolute right-2 bottom-2 flex items-center gap-1 rounded-full border border-border bg-card/95 px-2.5 py-1 text-xs font-medium shadow-sm group-hover:border-primary group-hover:text-primary"
          >
            <svg viewBox="0 0 24 24" className="size-4" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round">
              <circle cx="11" cy="11" r="6" />
              <path d="m20 20-4.5-4.5M11 8v6M8 11h6" />
            </svg>
            Click to zoom
          </span>
        </button>
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
      {/* The viewer needs the pixel size to open fitted; a click before the preview has loaded opens it once it has. */}
      {viewedUrl === previewUrl && dimensions && (
        <ImageViewer
          src={previewUrl}
          fileName={file.name}
          width={dimensions.width}
          height={dimensions.height}
          onClose={() => {
            setViewedUrl(null);
            // The browser returns focus to whatever had it when the dialog opened; a click on the
            // preview does not focus it in every browser (Safari), so say where it goes.
            zoomButtonRef.current?.focus();
          }}
        />
      )}
    </div>
  );
}
