"use client";

import type { RefObject } from "react";
import { ConversationToolbar } from "@/components/conversation-toolbar";
import { FollowUpForm } from "@/components/follow-up-form";
import type { AskOptions, ConversationControls } from "@/components/hooks/use-conversation";
import { turnElementId } from "@/components/hooks/use-latest-turn-in-view";
import { TurnView } from "@/components/turn-view";
import type { Viewer } from "@/lib/shared/auth";
import type { ProviderSummary } from "@/lib/shared/providers";

export interface ConversationViewProps {
  conversation: ConversationControls;
  providers: ProviderSummary[];
  viewer: Viewer;
  /** What a follow-up or a retry is sent with, as the form stands when it is asked. */
  askOptions(): AskOptions;
  followUpInput: RefObject<HTMLTextAreaElement | null>;
  onSharedChange(conversationId: string, shared: boolean): void;
}

/** The saved conversation's title and sharing, every question and its answer, oldest first, and the box for the next one. */
export function ConversationView({ conversation: controls, providers, viewer, askOptions, followUpInput, onSharedChange }: ConversationViewProps) {
  const { conversation, busy, ask, retry, stop } = controls;
  const { turns, saved } = conversation;
  const lastTurn = turns.at(-1);
  // A conversation opened from the history has no file here, only the server's copy of it.
  const imageName = conversation.image?.name ?? "diagram";
  return (
    <section aria-label="Conversation" className="flex min-w-0 flex-col gap-4">
      {saved && <ConversationToolbar key={saved.id} saved={saved} viewer={viewer} onSharedChange={(shared) => onSharedChange(saved.id, shared)} />}
      {turns.length === 0 ? (
        <p className="min-h-64 rounded-lg border border-border bg-card p-5 text-muted-foreground shadow-sm sm:p-6">
          The answer will appear here as the model writes it.
        </p>
      ) : (
        turns.map((turn, index) => (
          <div key={turn.id} id={turnElementId(turn.id)} className="scroll-mt-6">
            <TurnView
              turn={turn}
              position={index + 1}
              imageName={imageName}
              providers={providers}
              onStop={stop}
              onRetry={turn === lastTurn && !busy ? () => retry(turn.id, askOptions()) : undefined}
            />
          </div>
        ))
      )}
      {turns.length > 0 && (
        <FollowUpForm imageName={conversation.image?.name ?? "this diagram"} busy={busy} onAsk={(next) => ask(next, askOptions())} textareaRef={followUpInput} />
      )}
    </section>
  );
}
