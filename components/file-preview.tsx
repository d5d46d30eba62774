"use client";

import { useState, type RefObject } from "react";
import type { PickedImage } from "@/components/hooks/use-image-selection";
import { ImageViewer } from "@/components/image-viewer";
import { StructureDownloads } from "@/components/structure-downloads";
import { Button } from "@/components/ui/button";
import { formatBytes } from "@/lib/shared/format";

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

/** The picked image with its name, size and pixel size; opens the full-screen viewer. */
export function FilePreview({ image: { file, previewUrl }, disabled, zoomButtonRef, onReplace, onRemove }: FilePreviewProps) {
  // Kept per URL rather than by remounting on a new image, so focus stays on Replace after replacing.
  const [measured, setMeasured] = useState<Measured | null>(null);
  const dimensions = measured?.previewUrl === previewUrl ? measured : null;
  // The URL being viewed: a new image (pasted or dropped meanwhile) closes the viewer of the old one.
  const [viewedUrl, setViewedUrl] = useState<string | null>(null);

  return (
    <div className="flex flex-col gap-3">
      <figure className="flex flex-col gap-3">
        <ZoomablePreview
          buttonRef={zoomButtonRef}
          name={file.name}
          src={previewUrl}
          onZoom={() => setViewedUrl(previewUrl)}
          onMeasure={(width, height) => setMeasured({ previewUrl, width, height })}
        />
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
        <Button onClick={onReplace} disabled={disabled}>
          Replace
        </Button>
        <Button onClick={onRemove} disabled={disabled}>
          Remove
        </Button>
      </div>
      <StructureDownloads key={previewUrl} source={{ file }} />
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

interface ZoomablePreviewProps {
  buttonRef: RefObject<HTMLButtonElement | null>;
  /** What the image is called: the file's name, or a saved conversation's title. */
  name: string;
  /** The picked file's blob: URL, or a saved image's address. */
  src: string;
  onZoom(): void;
  /** The image's own pixel size, once it has loaded. */
  onMeasure?(width: number, height: number): void;
}

/**
 * The image as a button that opens the full-screen viewer. Not disabled while an answer streams:
 * looking closely at the diagram is what one does then.
 */
export function ZoomablePreview({ buttonRef, name, src, onZoom, onMeasure }: ZoomablePreviewProps) {
  return (
    <button
      ref={buttonRef}
      type="button"
      // The name starts with the visible hint, as speech input users say what they see.
      aria-label={`Click to zoom into ${name}`}
      aria-haspopup="dialog"
      onClick={onZoom}
      className="group relative block w-full cursor-zoom-in rounded-md focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-ring"
    >
      {
        // The person's own file, or the prepared copy the server saved: nothing for next/image to optimise.
        // eslint-disable-next-line @next/next/no-img-element
        <img
          src={src}
          alt={`Preview of ${name}`}
          className="max-h-72 w-full rounded-md bg-muted object-contain"
          onLoad={(event) => onMeasure?.(event.currentTarget.naturalWidth, event.currentTarget.naturalHeight)}
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
  );
}
