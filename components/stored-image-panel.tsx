"use client";

import { useRef, useState } from "react";
import { ZoomablePreview } from "@/components/file-preview";
import { ImageViewer } from "@/components/image-viewer";
import { StructureDownloads } from "@/components/structure-downloads";
import { Button } from "@/components/ui/button";
import { conversationImageUrl } from "@/lib/client/history-api";
import type { SavedConversation } from "@/lib/client/conversation";
import { formatBytes } from "@/lib/shared/format";

export interface StoredImagePanelProps {
  saved: SavedConversation;
  onNewConversation(): void;
}

/**
 * A saved conversation's image where the picker stands for a new one: the prepared copy the model
 * saw, read from the server, with the same full-screen viewer.
 */
export function StoredImagePanel({ saved, onNewConversation }: StoredImagePanelProps) {
  const [viewing, setViewing] = useState(false);
  const zoomButton = useRef<HTMLButtonElement>(null);
  const { image, title } = saved;
  const src = conversationImageUrl(saved.id);
  return (
    <section aria-label="Diagram image" className="flex flex-col gap-3 rounded-lg border border-border bg-card p-4 lg:sticky lg:top-6">
      {image ? (
        <figure className="flex flex-col gap-3">
          <ZoomablePreview buttonRef={zoomButton} name={title} src={src} onZoom={() => setViewing(true)} />
          <figcaption className="text-sm text-muted-foreground" data-testid="image-facts">
            As the model saw it: {image.width} × {image.height} px · {formatBytes(image.bytes)}
          </figcaption>
        </figure>
      ) : (
        <p className="text-sm text-muted-foreground">This conversation&apos;s image was deleted by the server&apos;s retention policy.</p>
      )}
      <Button onClick={onNewConversation} className="self-start">
        New conversation
      </Button>
      {image && <StructureDownloads key={saved.id} source={{ url: src, name: title }} />}
      {viewing && image && (
        <ImageViewer
          src={src}
          fileName={title}
          width={image.width}
          height={image.height}
          onClose={() => {
            setViewing(false);
            zoomButton.current?.focus();
          }}
        />
      )}
    </section>
  );
}
