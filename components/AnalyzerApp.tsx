"use client";

import { useCallback, useEffect, useId, useReducer, useRef, useState, type FormEvent } from "react";
import { AnswerPanel } from "@/components/AnswerPanel";
import { ImagePicker, type PickedImage } from "@/components/ImagePicker";
import { TaskInput } from "@/components/TaskInput";
import { initialAnswer, reduceAnswer } from "@/lib/streaming/answer-state";
import type { ProviderSummary } from "@/lib/providers";
import { checkImageFile } from "@/lib/upload/check-image-file";
import { AnalysisRequestError, requestAnalysis } from "@/lib/streaming/request-analysis";

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
  /** Problems with the input or the request, shown next to the form; the answer panel keeps its own. */
  const [formError, setFormError] = useState<string | null>(null);
  const [answer, dispatch] = useReducer(reduceAnswer, initialAnswer);
  const running = useRef<AbortController | null>(null);
  const busy = answer.phase === "sending" || answer.phase === "streaming";
  const file = image?.file ?? null;

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

  const analyze = async () => {
    if (!file || !task.trim() || busy) return;
    const controller = new AbortController();
    running.current = controller;
    setFormError(null);
    dispatch({ type: "start", startedAt: Date.now() });
    try {
      const request = { image: file, prompt: task, provider: chosenProvider?.provider, signal: controller.signal };
      for await (const event of requestAnalysis(request)) {
        dispatch(event);
      }
      dispatch({ type: "closed" });
    } catch (error) {
      if (controller.signal.aborted) dispatch({ type: "stopped" });
      else if (error instanceof AnalysisRequestError) {
        // Refused before any answer: the reason belongs next to the form, the panel goes back to empty.
        dispatch({ type: "rejected" });
        setFormError(error.message);
      }
      else dispatch({ type: "failed", message: "The connection was lost while the answer was streaming." });
    } finally {
      running.current = null;
    }
  };

  const stop = () => running.current?.abort();

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void analyze();
  };

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
          <TaskInput value={task} disabled={busy} onChange={setTask} onSubmitShortcut={() => void analyze()} />
          {providers.length > 1 && (
            <ModelPicker providers={providers} value={chosenProvider?.provider} disabled={busy} onChange={setProviderId} />
          )}
          {formError && (
            <p role="alert" className="rounded-md border border-danger/40 bg-danger/10 px-3 py-2 text-sm text-danger">
              {formError}
            </p>
          )}
          <div className="flex gap-3">
            <button
              type="submit"
              disabled={!file || !task.trim() || busy}
              className="flex-1 rounded-lg bg-primary px-4 py-2.5 font-medium text-primary-foreground shadow-sm transition hover:opacity-90 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-ring disabled:cursor-not-allowed disabled:opacity-40"
            >
              Analyze
            </button>
            {busy && (
              <button
                type="button"
                onClick={stop}
                className="rounded-lg border border-border bg-card px-4 py-2.5 font-medium hover:bg-muted focus-visible:outline-2 focus-visible:outline-ring"
              >
                Stop
              </button>
            )}
          </div>
        </form>

        <AnswerPanel answer={answer} fileName={file?.name ?? null} providers={providers} />
      </div>
    </main>
  );
}

interface ModelPickerProps {
  providers: ProviderSummary[];
  value: string | undefined;
  disabled: boolean;
  onChange(provider: ProviderSummary["provider"]): void;
}

/** Shown only when the server offers more than one provider. */
function ModelPicker({ providers, value, disabled, onChange }: ModelPickerProps) {
  const id = useId();
  return (
    <div className="flex flex-col gap-2">
      <label htmlFor={id} className="font-medium">
        Model
      </label>
      <select
        id={id}
        value={value}
        disabled={disabled}
        onChange={(event) => onChange(event.target.value as ProviderSummary["provider"])}
        className="w-full rounded-lg border border-input bg-card px-3 py-2 shadow-sm focus-visible:outline-2 focus-visible:outline-ring disabled:opacity-60"
      >
        {providers.map((each) => (
          <option key={each.provider} value={each.provider}>
            {each.label}
          </option>
        ))}
      </select>
    </div>
  );
}
