"use client";

import { ShareButtons, ShareMessages, useShareLink } from "@/components/share-controls";
import { buttonClassName } from "@/components/ui/button";
import { conversationExportUrl } from "@/lib/client/history-api";
import type { SavedConversation } from "@/lib/client/conversation";
import type { Viewer } from "@/lib/shared/auth";

export interface ConversationToolbarProps {
  saved: SavedConversation;
  viewer: Viewer;
  onSharedChange(shared: boolean): void;
}

/** A saved conversation's title, and what can be done with all of it: share it, export it. */
export function ConversationToolbar({ saved, viewer, onSharedChange }: ConversationToolbarProps) {
  const share = useShareLink(saved.id, onSharedChange);
  return (
    <div className="rounded-lg border border-border bg-card px-4 py-3 shadow-sm">
      <div className="flex flex-wrap items-center gap-2">
        <h2 className="min-w-0 flex-1 basis-48 truncate font-semibold" title={saved.title} data-testid="conversation-title">
          {saved.title}
        </h2>
        <ShareButtons controls={share} shared={saved.shared} viewer={viewer} />
        {/* Downloads: the server names the file (Content-Disposition). */}
        <a href={conversationExportUrl(saved.id, "md")} download className={buttonClassName("outline")}>
          Export .md
        </a>
        <a href={conversationExportUrl(saved.id, "json")} download className={buttonClassName("outline")}>
          Export .json
        </a>
      </div>
      <ShareMessages state={share.state} viewer={viewer} />
    </div>
  );
}
