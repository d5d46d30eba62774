"use client";

import { useRef, useState } from "react";
import { AnalyzeForm } from "@/components/analyze-form";
import { AppHeader } from "@/components/app-header";
import { ConversationView } from "@/components/conversation-view";
import { useConversation } from "@/components/hooks/use-conversation";
import { useImageSelection } from "@/components/hooks/use-image-selection";
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
  const [task, setTask] = useState("");
  /** Problems with the input or a refused first question, shown next to the form. */
  const [formError, setFormError] = useState<string | null>(null);
  const { conversation, busy, begin, ask, retry, stop } = useConversation();
  const { image, pick, remove } = useImageSelection({ maxUploadBytes, busy, onProblem: setFormError });
  const choice = useProviderChoice(providers);
  const followUpInput = useRef<HTMLTextAreaElement>(null);
  const lastTurn = conversation.turns.at(-1);
  useLatestTurnInView(lastTurn, followUpInput);

  const analyze = async () => {
    if (!image || !task.trim() || busy) return;
    setFormError(null);
    const refusal = await begin(image.file, task.trim(), choice.askOptions());
    if (refusal) setFormError(refusal);
  };

  return (
    <main className="mx-auto flex max-w-7xl flex-col gap-6 px-4 py-6 sm:px-8 sm:py-10">
      <AppHeader providerLabel={choice.chosenProvider?.label} />
      <div className="grid grid-cols-1 items-start gap-6 lg:grid-cols-[minmax(0,26rem)_minmax(0,1fr)]">
        <AnalyzeForm
          image={image}
          task={task}
          providers={providers}
          choice={choice}
          busy={busy}
          error={formError}
          hasConversation={conversation.turns.length > 0}
          onPick={(picked) => void pick(picked)}
          onRemove={remove}
          onTaskChange={setTask}
          onAnalyze={() => void analyze()}
        />
        <ConversationView
          conversation={conversation}
          providers={providers}
          busy={busy}
          followUpInput={followUpInput}
          onStop={stop}
          onRetry={(turnId) => retry(turnId, choice.askOptions())}
          onAsk={(next) => ask(next, choice.askOptions())}
        />
      </div>
    </main>
  );
}
