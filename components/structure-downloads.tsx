"use client";

import { useEffect, useRef, useState } from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { downloadStructure, fetchImageFile, type StructureFormat } from "@/lib/client/structure-download";

/** The image to read: the picked file, or a saved conversation's image at its address. */
export type StructureSource = { file: File } | { url: string; name: string };

const FORMATS: Array<{ format: StructureFormat; label: string }> = [
  { format: "drawio", label: "Download as draw.io" },
  { format: "mermaid", label: "Download as Mermaid" },
];

/**
 * Download as draw.io and as Mermaid: the diagram as the offline analyzer reads it, whichever
 * provider answers questions. Remount it (a `key`) for another image: the old request is dropped.
 */
export function StructureDownloads({ source }: { source: StructureSource }) {
  const [working, setWorking] = useState<StructureFormat | null>(null);
  const [error, setError] = useState<string | null>(null);
  const request = useRef<AbortController | null>(null);
  useEffect(() => () => request.current?.abort(), []);

  const download = async (format: StructureFormat) => {
    if (working) return;
    const controller = new AbortController();
    request.current = controller;
    setWorking(format);
    setError(null);
    try {
      const file = "file" in source ? source.file : await fetchImageFile(source.url, source.name, controller.signal);
      const { blob, fileName } = await downloadStructure(file, format, controller.signal);
      saveBlob(blob, fileName);
    } catch (problem) {
      if (controller.signal.aborted) return;
      setError(problem instanceof Error && problem.message ? problem.message : "The diagram could not be read. Please try again.");
    } finally {
      if (!controller.signal.aborted) setWorking(null);
    }
  };

  return (
    <div role="group" aria-label="Download the diagram" className="flex flex-col gap-2">
      <div className="flex flex-wrap gap-2">
        {FORMATS.map(({ format, label }) => (
          <Button
            key={format}
            // aria-disabled rather than disabled: the clicked button keeps the keyboard's focus.
            aria-disabled={working !== null || undefined}
            onClick={() => void download(format)}
            className="aria-disabled:cursor-not-allowed aria-disabled:opacity-50"
          >
            {working === format ? "Reading the diagram…" : label}
          </Button>
        ))}
      </div>
      <p role="status" className="sr-only">
        {working ? "Reading the diagram…" : ""}
      </p>
      {error && <Alert data-testid="structure-error">{error}</Alert>}
    </div>
  );
}

/** Saves the blob as a file through a temporary link. */
function saveBlob(blob: Blob, fileName: string) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  link.click();
  URL.revokeObjectURL(url);
}
