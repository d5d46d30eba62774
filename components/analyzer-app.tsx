"use client";

import { useCallback, useEffect, useRef, useState, type FormEvent } from "react";
import { FollowUpForm } from "@/components/follow-up-form";
import { ImagePicker, type PickedImage } from "@/components/image-picker";
import { DepthPicker, MODEL_DEFAULT_DEPTH, ModelPicker, type DepthChoice } from "@/components/provider-controls";
import { SUBMIT_SHORTCUT } from "@/components/submit-shortcut";
import { TaskInput } from "@/components/task-input";
import { TurnView } from "@/components/turn-view";
import { useConversation, type AskOptions } from "@/components/hooks/use-conversation";
import { isRunning } from "@/lib/client/answer-state";
import { checkImageFile } from "@/lib/client/check-image-file";
import type { ProviderSummary } from "@/lib/shared/providers";

export interface AnalyzerAppProps {
  maxUploadBytes: number;
  /** The providers this server offers, its default first. */
  providers: ProviderSummary[];
}

export function AnalyzerApp({ maxUploadBytes, providers }: AnalyzerAppProps) {
  const [image, setImage] = useState<PickedImage | null>(null);
  const [task, setTask] = useState("");
  const [providerId, setProviderId] = useState(providers[0]?.provider);
  const chosenProvider = providers.find((each) => each.provider === providerId) ?? providers[0];
  // Each provider remembers its own depth: levels mean different things to different models.
  const [depthChoices, setDepthChoices] = useState<Partial<Record<string, DepthChoice>>>({});
  const depth: DepthChoice = (chosenProvider && depthChoices[chosenProvider.provider]) ?? chosenProvider?.defaultDepth ?? MODEL_DEFAULT_DEPTH;
  /** Problems with the input or a refused first question, shown next to the form. */
  const [formError, setFormError] = useState<string | null>(null);
  const { conversation, busy, begin, ask, retry, stop } = useConversation();
  const followUpInput = useRef<HTMLTextAreaElement>(null);
  const file = image?.file ?? null;

  const askOptions = (): AskOptions => ({
    provider: chosenProvider?.provider,
    depth: chosenProvider?.depths.length && depth ? depth : undefined,
  });

  // The preview's blob: URL lives exactly as long as the picked image.
  const replaceImage = useCallback((next: PickedImage | null) => {
    setImage((previous) => {
      if (previous) URL.revokeObjectURL(previous.previewUrl);
      return next;
    });
  }, []);

  const pick = useCallback(
    async (candidate: File) => {
      const problem = await checkImageFile(candidate, maxUploadBytes);
      setFormError(problem);
      if (!problem) replaceImage({ file: candidate, previewUrl: URL.createObjectURL(candidate) });
    },
    [maxUploadBytes, replaceImage],
  );

  // Ctrl/Cmd+V anywhere on the page: screenshots go straight from the clipboard to the picker.
  useEffect(() => {
    const onPaste = (event: ClipboardEvent) => {
      const pasted = [...(event.clipboardData?.files ?? [])].find((item) => item.type.startsWith("image/"));
      if (!pasted || busy) return;
      event.preventDefault();
      void pick(pasted);
    };
    window.addEventListener("paste", onPaste);
    return () => window.removeEventListener("paste", onPaste);
  }, [busy, pick]);

  // A file dropped beside the picker would make the browser open it and leave the page, losing
  // the conversation: anywhere on the page, a dropped image is picked.
  useEffect(() => {
    const carriesFiles = (event: DragEvent) => event.dataTransfer?.types.includes("Files") ?? false;
    const onDragOver = (event: DragEvent) => {
      if (carriesFiles(event)) event.preventDefault();
    };
    const onDrop = (event: DragEvent) => {
      // The picker handles drops on itself.
      if (!carriesFiles(event) || event.defaultPrevented) return;
      event.preventDefault();
      const dropped = event.dataTransfer?.files[0];
      if (dropped && !busy) void pick(dropped);
    };
    window.addEventListener("dragover", onDragOver);
    window.addEventListener("drop", onDrop);
    return () => {
      window.removeEventListener("dragover", onDragOver);
      window.removeEventListener("drop", onDrop);
    };
  }, [busy, pick]);

  // When an answer ends, focus lands on the follow-up box if it was left nowhere (the Stop button
  // it was on is gone), so the next question is one keystroke away.
  const lastTurn = conversation.turns.at(-1);
  const lastTurnRunning = lastTurn ? isRunning(lastTurn.answer) : false;
  useEffect(() => {
    if (!lastTurnRunning && (document.activeElement === document.body || document.activeElement === null)) {
      followUpInput.current?.focus();
    }
  }, [lastTurnRunning]);

  // A new question scrolls into view: on a phone the answer is below the form.
  const lastTurnId = lastTurn?.id;
  useEffect(() => {
    if (lastTurnId === undefined) return;
    const calm = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    document.getElementById(turnElementId(lastTurnId))?.scrollIntoView({ behavior: calm ? "auto" : "smooth", block: "nearest" });
  }, [lastTurnId]);

  const analyze = async () => {
    if (!file || !task.trim() || busy) return;
    setFormError(null);
    const refusal = await begin(file, task.trim(), askOptions());
    if (refusal) setFormError(refusal);
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void analyze();
  };

  const imageName = conversation.image?.name ?? "image";
  return (
    <main className="mx-auto flex max-w-7xl flex-col gap-6 px-4 py-6 sm:px-8 sm:py-10">
      <header className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight sm:text-3xl">Multimodal Reasoning Agent</h1>
          <p className="mt-1 text-muted-foreground">Upload an architecture diagram, ask about it, and read the answer as it is written.</p>
        </div>
        {chosenProvider && (
          <p className="rounded-full border border-border bg-card px-3 py-1 text-sm text-muted-foreground">
            Answers by <span className="font-medium text-foreground">{chosenProvider.label}</span>
          </p>
        )}
      </header>

      <div className="grid grid-cols-1 items-start gap-6 lg:grid-cols-[minmax(0,26rem)_minmax(0,1fr)]">
        <form onSubmit={onSubmit} aria-label="Analyze an image" className="flex flex-col gap-4 lg:sticky lg:top-6">
          <ImagePicker
            image={image}
            disabled={busy}
            onPick={(picked) => void pick(picked)}
            onRemove={() => {
              replaceImage(null);
              setFormError(null);
            }}
          />
          <TaskInput value={task} onChange={setTask} onSubmitShortcut={() => void analyze()} />
          {providers.length > 1 && <ModelPicker providers={providers} value={chosenProvider?.provider} disabled={busy} onChange={setProviderId} />}
          {chosenProvider && chosenProvider.depths.length > 0 && (
            <DepthPicker
              provider={chosenProvider}
              value={depth}
              disabled={busy}
              onChange={(choice) => setDepthChoices((choices) => ({ ...choices, [chosenProvider.provider]: choice }))}
            />
          )}
          {formError && (
            <p role="alert" className="rounded-md border border-danger/40 bg-danger/10 px-3 py-2 text-sm text-danger">
              {formError}
            </p>
          )}
          <button
            type="submit"
            disabled={!file || !task.trim() || busy}
            aria-keyshortcuts={SUBMIT_SHORTCUT}
            className="rounded-lg bg-primary px-4 py-2.5 font-medium text-primary-foreground shadow-sm transition hover:opacity-90 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-ring disabled:cursor-not-allowed disabled:opacity-40"
          >
            Analyze
          </button>
          {conversation.turns.length > 0 && (
            <p className="text-xs text-muted-foreground">Analyze starts a new conversation; ask follow-ups below the answer.</p>
          )}
        </form>

        <section aria-label="Conversation" className="flex min-w-0 flex-col gap-4">
          {conversation.turns.length === 0 ? (
            <p className="min-h-64 rounded-lg border border-border bg-card p-5 text-muted-foreground shadow-sm sm:p-6">
              The answer will appear here as the model writes it.
            </p>
          ) : (
            conversation.turns.map((turn, index) => (
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
          {conversation.turns.length > 0 && (
            <FollowUpForm imageName={imageName} busy={busy} onAsk={(next) => ask(next, askOptions())} textareaRef={followUpInput} />
          )}
        </section>
      </div>
    </main>
  );
}

function turnElementId(turnId: number): string {
  return `turn-${turnId}`;
}
