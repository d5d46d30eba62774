"use client";

import type { FormEvent } from "react";
import type { PickedImage } from "@/components/hooks/use-image-selection";
import type { ProviderChoice } from "@/components/hooks/use-provider-choice";
import { ImagePicker } from "@/components/image-picker";
import { DepthPicker, ModelPicker } from "@/components/provider-controls";
import { SUBMIT_SHORTCUT } from "@/components/submit-shortcut";
import { TaskInput } from "@/components/task-input";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import type { ProviderSummary } from "@/lib/shared/providers";

export interface AnalyzeFormProps {
  image: PickedImage | null;
  task: string;
  providers: ProviderSummary[];
  choice: ProviderChoice;
  /** An answer is running: the image and the selects wait, the task box does not. */
  busy: boolean;
  /** Problems with the input or a refused first question. */
  error: string | null;
  hasConversation: boolean;
  onPick(file: File): void;
  onRemove(): void;
  onTaskChange(task: string): void;
  onAnalyze(): void;
}

/** The first question: the image, the task, the model and depth, and Analyze. */
export function AnalyzeForm({ image, task, providers, choice, busy, error, hasConversation, onPick, onRemove, onTaskChange, onAnalyze }: AnalyzeFormProps) {
  const { chosenProvider, chooseProvider, depth, chooseDepth } = choice;
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    onAnalyze();
  };
  return (
    <form onSubmit={onSubmit} aria-label="Analyze an image" className="flex flex-col gap-4 lg:sticky lg:top-6">
      <ImagePicker image={image} disabled={busy} onPick={onPick} onRemove={onRemove} />
      <TaskInput value={task} onChange={onTaskChange} onSubmitShortcut={onAnalyze} />
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
