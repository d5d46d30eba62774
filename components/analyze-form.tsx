"use client";

import { useState, type FormEvent } from "react";
import { useImageSelection } from "@/components/hooks/use-image-selection";
import type { ProviderChoice } from "@/components/hooks/use-provider-choice";
import { ImagePicker } from "@/components/image-picker";
import { DepthPicker, ModelPicker } from "@/components/provider-controls";
import { SUBMIT_SHORTCUT } from "@/components/submit-shortcut";
import { TaskInput } from "@/components/task-input";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import type { ProviderSummary } from "@/lib/shared/providers";

export interface AnalyzeFormProps {
  maxUploadBytes: number;
  providers: ProviderSummary[];
  choice: ProviderChoice;
  /** An answer is running: the image and the selects wait, the task box does not. */
  busy: boolean;
  hasConversation: boolean;
  /** Starts a new conversation; resolves to the server's refusal of the first question, if any. */
  onBegin(image: File, task: string): Promise<string | null>;
}

/** The first question: the image, the task, the model and depth, and Analyze. */
export function AnalyzeForm({ maxUploadBytes, providers, choice, busy, hasConversation, onBegin }: AnalyzeFormProps) {
  const [task, setTask] = useState("");
  /** Problems with the input or a refused first question, shown next to the form. */
  const [error, setError] = useState<string | null>(null);
  const { image, pick, remove } = useImageSelection({ maxUploadBytes, busy, onProblem: setError });
  const { chosenProvider, chooseProvider, depth, chooseDepth } = choice;

  const analyze = async () => {
    if (!image || !task.trim() || busy) return;
    setError(null);
    const refusal = await onBegin(image.file, task.trim());
    if (refusal) setError(refusal);
  };
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void analyze();
  };

  return (
    <form onSubmit={onSubmit} aria-label="Analyze an image" className="flex flex-col gap-4 lg:sticky lg:top-6">
      <ImagePicker image={image} disabled={busy} onPick={(picked) => void pick(picked)} onRemove={remove} />
      <TaskInput value={task} onChange={setTask} onSubmitShortcut={() => void analyze()} />
      {providers.length > 1 && <ModelPicker providers={providers} value={chosenProvider?.provider} disabled={busy} onChange={chooseProvider} />}
      {chosenProvider && chosenProvider.depths.length > 0 && (
        <DepthPicker provider={chosenProvider} value={depth} disabled={busy} onChange={chooseDepth} />
      )}
      {error && <Alert>{error}</Alert>}
      <Button variant="primary" type="submit" disabled={!image || !task.trim() || busy} aria-keyshortcuts={SUBMIT_SHORTCUT}>
        Analyze
      </Button>
      {hasConversation && <p className="text-xs text-muted-foreground">Analyze starts a new conversation; ask follow-ups below the answer.</p>}
    </form>
  );
}
