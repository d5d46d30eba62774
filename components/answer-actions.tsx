"use client";

import { useState } from "react";
import { Button } from "@/components/ui/button";

/** How long "Copied" (or why copying failed) shows before the button reads "Copy markdown" again. */
const COPY_NOTE_MS = 2500;

/** Copy the finished answer's markdown, or download it as a .md file. */
export function AnswerActions({ markdown, fileName }: { markdown: string; fileName: string }) {
  const [copyState, setCopyState] = useState<"idle" | "copied" | "failed">("idle");
  const copy = async () => {
    try {
      // Browsers offer the clipboard only on https and localhost; intranet tools often run on http.
      await navigator.clipboard.writeText(markdown);
      setCopyState("copied");
    } catch {
      setCopyState("failed");
    }
    setTimeout(() => setCopyState("idle"), COPY_NOTE_MS);
  };
  const download = () => {
    const url = URL.createObjectURL(new Blob([markdown], { type: "text/markdown;charset=utf-8" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = fileName;
    link.click();
    URL.revokeObjectURL(url);
  };
  return (
    <>
      <Button onClick={() => void copy()}>
        {copyState === "copied" ? "Copied" : copyState === "failed" ? "Copy blocked: use Download" : "Copy markdown"}
      </Button>
      <Button onClick={download}>Download .md</Button>
    </>
  );
}
