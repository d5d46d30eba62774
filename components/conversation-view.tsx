"use client";

import type { RefObject } from "react";
import { FollowUpForm } from "@/components/follow-up-form";
import { turnElementId } from "@/components/hooks/use-latest-turn-in-view";
import { TurnView } from "@/components/turn-view";
import type { Conversation } from "@/lib/client/conversation";
import type { ProviderSummary } from "@/lib/shared/providers";

export interface ConversationViewProps {
  conversation: Conversation;
  providers: ProviderSummary[];
  busy: boolean;
  followUpInput: RefObject<HTMLTextAreaElement | null>;
  onStop(): void;
  onRetry(turnId: number): void;
  onAsk(task: string): void;
}

/** Every question and its answer, oldest first, and the box for the next one. */
export function ConversationView({ conversation, providers, busy, followUpInput, onStop, onRetry, onAsk }: ConversationViewProps) {
  const { turns } = conversation;
  const lastTurn = turns.at(-1);
  const imageName = conversation.image?.name ?? "image";
  return (
    <section aria-label="Conversation" className="flex min-w-0 flex-col gap-4">
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
              onStop={onStop}
              onRetry={turn === lastTurn && !busy ? () => onRetry(turn.id) : undefined}
            />
          </div>
        ))
      )}
      {turns.length > 0 && <FollowUpForm imageName={imageName} busy={busy} onAsk={onAsk} textareaRef={followUpInput} />}
    </section>
  );
}
