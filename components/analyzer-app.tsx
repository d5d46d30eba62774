"use client";

import { useRef } from "react";
import { AnalyzeForm } from "@/components/analyze-form";
import { AppHeader } from "@/components/app-header";
import { ConversationView } from "@/components/conversation-view";
import { useConversation } from "@/components/hooks/use-conversation";
import { useLatestTurnInView } from "@/components/hooks/use-latest-turn-in-view";
import { useProviderChoice } from "@/components/hooks/use-provider-choice";
import type { ProviderSummary } from "@/lib/shared/providers";

export interface AnalyzerAppProps {
  maxUploadBytes: number;
  /** The providers this server offers, its default first. */
  providers: ProviderSummary[];
}

/** The page: the image, the task and the selects on one side, the conversation about it on the other. */
export function AnalyzerApp({ maxUploadBytes, providers }: AnalyzerAppProps) {
  const conversation = useConversation();
  const choice = useProviderChoice(providers);
  const followUpInput = useRef<HTMLTextAreaElement>(null);
  const { turns } = conversation.conversation;
  useLatestTurnInView(turns.at(-1), followUpInput);
  const begin = (image: File, task: string) => conversation.begin(image, task, choice.askOptions());

  return (
    <main className="mx-auto flex max-w-7xl flex-col gap-6 px-4 py-6 sm:px-8 sm:py-10">
      <AppHeader providerLabel={choice.chosenProvider?.label} />
      <div className="grid grid-cols-1 items-start gap-6 lg:grid-cols-[minmax(0,26rem)_minmax(0,1fr)]">
        <AnalyzeForm maxUploadBytes={maxUploadBytes} providers={providers} choice={choice} busy={conversation.busy} hasConversation={turns.length > 0} onBegin={begin} />
        <ConversationView conversation={conversation} providers={providers} askOptions={choice.askOptions} followUpInput={followUpInput} />
      </div>
    </main>
  );
}
