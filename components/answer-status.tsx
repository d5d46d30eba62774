"use client";

import { useElapsedSeconds } from "@/components/hooks/use-elapsed-seconds";
import { Button } from "@/components/ui/button";
import { isRunning, type AnswerState } from "@/lib/client/answer-state";
import { formatBytes } from "@/lib/shared/format";

const STATUS_TEXT: Record<AnswerState["phase"], string> = {
  idle: "",
  uploading: "Uploading the image…",
  preparing: "Preparing the image…",
  thinking: "Thinking…",
  streaming: "Writing…",
  done: "Done",
  stopped: "Stopped",
  failed: "Stopped by an error",
  interrupted: "Cut off",
};

function statusText(answer: AnswerState): string {
  // A follow-up names the image the server kept: nothing to prepare, only the model to reach.
  if (answer.phase === "preparing" && !answer.sentImage) return "Sending the question…";
  if (answer.phase === "done" && answer.finish?.finishReason === "incomplete") return "Cut off";
  return STATUS_TEXT[answer.phase];
}

/** Where the answer is (uploading, thinking, writing, done), how long it has taken, and Stop. */
export function AnswerStatus({ answer, onStop }: { answer: AnswerState; onStop(): void }) {
  const elapsed = useElapsedSeconds(answer);
  const running = isRunning(answer);
  return (
    <div className="flex flex-col gap-2">
      <div className="flex min-h-8 flex-wrap items-center gap-x-2 gap-y-1 text-sm text-muted-foreground">
        {running && <span aria-hidden="true" className="size-2 animate-pulse rounded-full bg-primary" />}
        {/* Only the phase is announced: the streaming text itself would drown a screen reader. */}
        <span>
          <span role="status" data-testid="answer-status">
            {statusText(answer)}
          </span>
          {/* Visual progress only: read aloud at every tick it would be noise. */}
          {elapsed !== null && (
            <span aria-hidden="true" className="tabular-nums" data-testid="elapsed">
              {` · ${elapsed.toFixed(1)} s`}
            </span>
          )}
        </span>
        {running && (
          <Button onClick={onStop} className="ml-auto" aria-keyshortcuts="Escape">
            Stop
          </Button>
        )}
      </div>
      {answer.phase === "uploading" && answer.upload && <UploadProgress {...answer.upload} />}
    </div>
  );
}

function UploadProgress({ loaded, total }: { loaded: number; total: number }) {
  const percent = total ? Math.floor((loaded / total) * 100) : 0;
  return (
    <div className="flex flex-col gap-1" data-testid="upload-progress">
      <progress value={loaded} max={total} aria-label="Upload progress" className="h-2 w-full appearance-none overflow-hidden rounded-full [&::-moz-progress-bar]:bg-primary [&::-webkit-progress-bar]:bg-muted [&::-webkit-progress-value]:bg-primary" />
      <span className="text-xs text-muted-foreground tabular-nums">
        {formatBytes(loaded)} of {formatBytes(total)} · {percent} %
      </span>
    </div>
  );
}
